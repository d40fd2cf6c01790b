"""Standard cleaning checklists of a campus, from the practice's standards (seeds 000–004).

Each template is one kind of area; each item a criterion worded as the standard words it.
"check" items are answered pass / fail / not applicable; "reading" items take a number that
must lie within [min, max] (either bound may be None).
"""

# Where the wording comes from:
# - Seed 000, excerpt A, section 3 "technical requirements": part 1 "environmental hygiene"
#   items 1-11 and part 2 "maintenance" items 1-7; section 4 "scope of service" items 7-8
#   (curtains washed twice per term; the "four pests" to the National Patriotic Health
#   Campaign Committee standard; disinfection). Items taken from there keep the seed's
#   Chinese phrases word for word (grounds free of litter, toilets without odour or flies,
#   refuse points without maggots, rubbish cleared the same day, roads swept before 07:30).
# - Seed 001, part 12: shared toilets get scheduled cleaning.
# - The seeds give no item lists for lobbies, classrooms, corridors or dorm public areas beyond
#   those phrases; the remaining items are the usual wording of campus property cleaning
#   standards and are meant as defaults a site may edit.
# References such as "Seed 000 A 3.1.3" mean excerpt A, section 3, part 1, item 3.

STANDARD_TEMPLATES = (
    {
        "area_kind": "toilet",
        "name_zh": "卫生间保洁检查",
        "name_en": "Toilet cleaning check",
        "items": (
            # Seed 000 A 3.1.3, the first five items word for word.
            {
                "code": "clean_tidy",
                "kind": "check",
                "zh": "卫生间保持干净整洁",
                "en": "Toilet kept clean and tidy",
            },
            {
                "code": "no_odour",
                "kind": "check",
                "zh": "无异味",
                "en": "No odour",
            },
            {
                "code": "no_flies",
                "kind": "check",
                "zh": "无蚊蝇",
                "en": "No mosquitoes or flies",
            },
            {
                "code": "no_faeces",
                "kind": "check",
                "zh": "无粪便，便器内外无污垢、无尿碱",
                "en": "No faeces; toilet bowls and urinals free of dirt and scale inside and out",
            },
            {
                "code": "no_overflow",
                "kind": "check",
                "zh": "无污水外溢，地漏、下水通畅",
                "en": "No sewage overflow; floor drains and waste pipes flowing",
            },
            {
                "code": "floor_dry",
                "kind": "check",
                "zh": "地面干燥，无积水、纸屑、烟头、痰迹",
                "en": "Floor dry, with no standing water, waste paper, cigarette ends or spit",
            },
            # Seed 000 A 3.2.3 and 3.2.5: sanitary ware and taps maintained; no running or
            # leaking water.
            {
                "code": "fittings_intact",
                "kind": "check",
                "zh": "卫生洁具、水嘴、冲水装置齐全完好，"
                "无长流水和跑、冒、滴、漏",
                "en": "Sanitary ware, taps and flushing fittings complete and working; "
                "no running, leaking or dripping water",
            },
            {
                "code": "supplies_stocked",
                "kind": "check",
                "zh": "卫生纸、洗手液等用品配备充足",
                "en": "Toilet paper, hand soap and other supplies stocked",
            },
            {
                "code": "bins_emptied",
                "kind": "check",
                "zh": "纸篓、垃圾桶及时清倒，无满溢",
                "en": "Waste-paper baskets and bins emptied in time and not overflowing",
            },
        ),
    },
    {
        "area_kind": "corridor_stairs",
        "name_zh": "楼道楼梯保洁检查",
        "name_en": "Corridor and stairs cleaning check",
        "items": (
            # Seed 000 A 3.1.1 wording for grounds, applied to floors indoors.
            {
                "code": "floor_clean",
                "kind": "check",
                "zh": "地面无杂物、废纸、烟头、果皮、痰迹、积水",
                "en": "No litter, waste paper, cigarette ends, fruit peel, spit or standing water",
            },
            {
                "code": "handrails_clean",
                "kind": "check",
                "zh": "楼梯扶手、栏杆无灰尘、无污迹",
                "en": "Stair handrails and railings free of dust and stains",
            },
            # Seed 000 A 3.1.6.
            {
                "code": "walls_no_graffiti",
                "kind": "check",
                "zh": "墙面无乱写、乱划、乱粘贴，无残标",
                "en": "No graffiti, scratching, flyers or leftover labels on the walls",
            },
            {
                "code": "ceiling_no_cobwebs",
                "kind": "check",
                "zh": "天棚、墙角无蜘蛛网、无积尘",
                "en": "No cobwebs or dust on ceilings and in corners",
            },
            # Seed 000 A 3.2.1: doors, windows, railings, glass, screens and hardware intact.
            {
                "code": "doors_windows_intact",
                "kind": "check",
                "zh": "门窗玻璃干净明亮，"
                "门窗、栏杆、玻璃、纱窗、小五金齐全完好",
                "en": "Door and window glass clean and bright; doors, windows, railings, glass, "
                "screens and small hardware complete and intact",
            },
            # Seed 000 A 3.2.1 and 3.2.5: corridor lights intact (98 % target); no lights left on.
            {
                "code": "lights_working",
                "kind": "check",
                "zh": "楼道灯照明完好，无长明灯",
                "en": "Corridor and stair lights working and none left burning needlessly",
            },
            {
                "code": "passage_clear",
                "kind": "check",
                "zh": "楼道、楼梯无堆放杂物，疏散通道畅通",
                "en": "Nothing stored in corridors or on stairs; escape routes clear",
            },
            # Seed 000 A: public areas cleaned outside the class-change peaks.
            {
                "code": "not_wet_slippery",
                "kind": "check",
                "zh": "避开上下课高峰期清洁，地面无湿滑",
                "en": "Cleaned outside the class-change rush; floor not left wet or slippery",
            },
        ),
    },
    {
        "area_kind": "classroom",
        "name_zh": "教室保洁检查",
        "name_en": "Classroom cleaning check",
        "items": (
            {
                "code": "floor_clean",
                "kind": "check",
                "zh": "地面无杂物、废纸、烟头、果皮、痰迹、积水",
                "en": "No litter, waste paper, cigarette ends, fruit peel, spit or standing water",
            },
            {
                "code": "desks_clean",
                "kind": "check",
                "zh": "桌椅摆放整齐，桌面、椅面无灰尘、无污迹",
                "en": "Desks and chairs neatly arranged and free of dust and stains",
            },
            {
                "code": "board_lectern_clean",
                "kind": "check",
                "zh": "黑板、讲台清洁，粉笔槽无积灰",
                "en": "Blackboard and lectern clean; no chalk dust left in the chalk tray",
            },
            {
                "code": "no_graffiti",
                "kind": "check",
                "zh": "墙面、桌面无乱写、乱划、乱粘贴，无残标",
                "en": "No graffiti, scratching, flyers or leftover labels on walls or desks",
            },
            {
                "code": "doors_windows_intact",
                "kind": "check",
                "zh": "门窗玻璃干净明亮，门窗、玻璃、纱窗、小五金齐全完好",
                "en": "Door and window glass clean and bright; doors, windows, screens and "
                "small hardware complete and intact",
            },
            # Seed 000 A 4.7: curtains washed twice per term.
            {
                "code": "curtains_clean",
                "kind": "check",
                "zh": "窗帘整洁，每学期清洗二次",
                "en": "Curtains tidy and washed twice per term",
            },
            {
                "code": "bins_emptied",
                "kind": "check",
                "zh": "纸篓及时清倒，无暴露垃圾，无卫生死角",
                "en": "Waste-paper baskets emptied; no exposed rubbish and no neglected corners",
            },
            # Seed 000 A 3.1.7: no cleaning that disturbs lessons.
            {
                "code": "no_cleaning_in_class",
                "kind": "check",
                "zh": "上课期间无任何影响授课的清扫活动",
                "en": "No cleaning that disturbs lessons during class time",
            },
            # Seed 000 A 3.2.5: no lights left burning, no taps left running.
            {
                "code": "lights_off_after_class",
                "kind": "check",
                "zh": "课后关灯、关窗、关风扇，无长明灯",
                "en": "Lights, fans and windows off or closed after class; no lights left burning",
            },
        ),
    },
    {
        "area_kind": "main_road",
        "name_zh": "主要干道保洁检查",
        "name_en": "Main road cleaning check",
        "items": (
            # Seed 000 A 3.1.7: main roads swept before 07:30 every day.
            {
                "code": "swept_before_0730",
                "kind": "check",
                "zh": "主要干道地面卫生在每日早7:30以前清扫完毕",
                "en": "Main road swept and finished before 07:30 every day",
            },
            # Seed 000 A 3.1.1.
            {
                "code": "surface_clean",
                "kind": "check",
                "zh": "路面无杂物、废纸、烟头、果皮、痰迹、积水",
                "en": "No litter, waste paper, cigarette ends, fruit peel, spit or standing water "
                "on the road",
            },
            # Seed 000 A 3.1.2.
            {
                "code": "drains_flowing",
                "kind": "check",
                "zh": "窨井、排水设施通畅，无污水外溢，排水口处无淤泥和杂物",
                "en": "Manholes and drains flowing with no overflow; no silt or debris at outlets",
            },
            {
                "code": "covers_intact",
                "kind": "check",
                "zh": "各井口盖完好",
                "en": "All manhole and drain covers intact",
            },
            # Seed 000 A 3.1.5.
            {
                "code": "bins_clean",
                "kind": "check",
                "zh": "垃圾箱及果皮箱完好清洁，周围地面无杂物污渍",
                "en": "Litter and fruit-peel bins intact and clean, with no litter or stains "
                "around them",
            },
            # Seed 000 A 3.1.6.
            {
                "code": "fixtures_wiped",
                "kind": "check",
                "zh": "公共设施、牌匾、路标、雕塑、亭廊、石桌椅"
                "定期擦拭，保持清洁",
                "en": "Public fittings, plaques, road signs, sculptures, pavilions and stone "
                "benches wiped and clean",
            },
            # Seed 000 A 3.1.8.
            {
                "code": "no_building_waste",
                "kind": "check",
                "zh": "路面不直接搅拌水泥沙浆，"
                "建筑材料、建筑垃圾按指定地点堆放并及时清运",
                "en": "No mortar mixed on the road; building materials and waste kept in the "
                "designated place and cleared promptly",
            },
            # Seed 000 A 3.1.10.
            {
                "code": "snow_water_cleared",
                "kind": "check",
                "zh": "积雪和积水及时清理，道路通畅安全，"
                "积雪不堆放在绿篱和绿地内",
                "en": "Snow and standing water cleared promptly and the road safe; no snow piled "
                "on hedges or lawns",
            },
        ),
    },
    {
        "area_kind": "refuse_point",
        "name_zh": "垃圾堆放处保洁检查",
        "name_en": "Refuse point cleaning check",
        "items": (
            # Seed 000 A 3.1.4, word for word: no maggots or flies, walls clean, nothing piled
            # around, container lids closed, container count adjusted to the daily volume.
            {
                "code": "no_maggots_flies",
                "kind": "check",
                "zh": "无蛆、无蝇",
                "en": "No maggots and no flies",
            },
            {
                "code": "walls_clean",
                "kind": "check",
                "zh": "四壁清洁",
                "en": "Walls clean",
            },
            {
                "code": "no_rubbish_around",
                "kind": "check",
                "zh": "地面和周围无堆放垃圾",
                "en": "No rubbish piled on the ground or around the point",
            },
            {
                "code": "lids_closed",
                "kind": "check",
                "zh": "集装箱上盖封闭",
                "en": "Container lids closed",
            },
            # Seed 000 A 3.1.5: rubbish cleared the same day, none exposed, no neglected corners.
            {
                "code": "cleared_same_day",
                "kind": "check",
                "zh": "垃圾日产日清，无暴露垃圾，无卫生死角",
                "en": "Rubbish cleared the same day it is produced; no exposed rubbish and no "
                "neglected corners",
            },
            {
                "code": "containers_sufficient",
                "kind": "check",
                "zh": "集装箱数量与垃圾日产量相适应",
                "en": "Number of containers matches the daily volume of rubbish",
            },
            {
                "code": "no_odour_leachate",
                "kind": "check",
                "zh": "无明显异味，无污水外溢",
                "en": "No strong odour and no dirty water running out",
            },
            # Seed 000 A 4.8: rats, mosquitoes, flies and cockroaches controlled; disinfection.
            {
                "code": "disinfected",
                "kind": "check",
                "zh": "定期卫生消毒，灭蝇、灭鼠措施有效",
                "en": "Disinfected regularly; fly and rat control effective",
            },
        ),
    },
    {
        "area_kind": "lobby",
        "name_zh": "大堂保洁检查",
        "name_en": "Lobby cleaning check",
        "items": (
            {
                "code": "floor_clean",
                "kind": "check",
                "zh": "地面光洁，无杂物、废纸、烟头、果皮、痰迹、积水",
                "en": "Floor clean and shiny, with no litter, waste paper, cigarette ends, fruit "
                "peel, spit or standing water",
            },
            {
                "code": "glass_clean",
                "kind": "check",
                "zh": "门窗玻璃干净明亮，无手印、无污迹",
                "en": "Door and window glass clean and bright, with no fingerprints or smears",
            },
            {
                "code": "walls_no_graffiti",
                "kind": "check",
                "zh": "墙面无乱写、乱划、乱粘贴，无残标",
                "en": "No graffiti, scratching, flyers or leftover labels on the walls",
            },
            {
                "code": "furniture_dusted",
                "kind": "check",
                "zh": "服务台、沙发、茶几、指示牌无灰尘、无污迹",
                "en": "Reception desk, sofas, tea tables and signs free of dust and stains",
            },
            {
                "code": "mats_bins_clean",
                "kind": "check",
                "zh": "门口地垫干净平整，垃圾桶完好清洁、无满溢",
                "en": "Entrance mats clean and flat; bins intact, clean and not overflowing",
            },
            # Seed 000 A 3.2.2: lift cars clean, tidy and bright.
            {
                "code": "lift_car_clean",
                "kind": "check",
                "zh": "电梯间干净、整洁、明亮",
                "en": "Lift cars clean, tidy and bright",
            },
            {
                "code": "ceiling_lights_clean",
                "kind": "check",
                "zh": "天棚、灯具、风口无蜘蛛网、无积尘，照明完好",
                "en": "No cobwebs or dust on ceilings, light fittings and vents; lights working",
            },
        ),
    },
    {
        "area_kind": "dorm_public",
        "name_zh": "学生公寓公共区域保洁检查",
        "name_en": "Student apartment public area cleaning check",
        "items": (
            {
                "code": "floor_clean",
                "kind": "check",
                "zh": "走廊、楼梯地面无杂物、废纸、烟头、果皮、痰迹、积水",
                "en": "No litter, waste paper, cigarette ends, fruit peel, spit or standing water "
                "in corridors and on stairs",
            },
            # Seed 000 O: apartment buildings have a boiled-water room.
            {
                "code": "boiled_water_room",
                "kind": "check",
                "zh": "开水间地面无积水，台面、水池干净，无水垢、无杂物",
                "en": "Boiled-water room floor free of standing water; counter and sink clean, "
                "with no scale or debris",
            },
            {
                "code": "washroom_basins",
                "kind": "check",
                "zh": "公共盥洗室水池、水嘴干净，下水通畅，无长流水",
                "en": "Shared washroom basins and taps clean, drains flowing, no taps left "
                "running",
            },
            {
                "code": "rubbish_cleared",
                "kind": "check",
                "zh": "楼层垃圾桶日产日清，无暴露垃圾，无卫生死角",
                "en": "Floor bins cleared the same day; no exposed rubbish and no neglected "
                "corners",
            },
            {
                "code": "walls_no_graffiti",
                "kind": "check",
                "zh": "墙面无乱写、乱划、乱粘贴，无残标",
                "en": "No graffiti, scratching, flyers or leftover labels on the walls",
            },
            {
                "code": "passage_clear",
                "kind": "check",
                "zh": "走廊、楼梯无堆放杂物，消防通道畅通",
                "en": "Nothing stored in corridors or on stairs; fire escape routes clear",
            },
            {
                "code": "fittings_intact",
                "kind": "check",
                "zh": "楼道灯、门窗、玻璃、纱窗、小五金齐全完好",
                "en": "Corridor lights, doors, windows, glass, screens and small hardware "
                "complete and intact",
            },
            # Seed 000 A 4.8: the "four pests" to the National Patriotic Health Campaign standard.
            {
                "code": "no_pests",
                "kind": "check",
                "zh": "无鼠、蚊、蝇、蟑螂等四害痕迹",
                "en": "No signs of rats, mosquitoes, flies or cockroaches",
            },
        ),
    },
    {
        "area_kind": "water_tank",
        "name_zh": "饮用水箱卫生检查",
        "name_en": "Drinking-water tank hygiene check",
        "items": (
            # Seed 000 A 3.2.6 only asks for periodic inspection and testing of drinking-water
            # tanks to keep the water safe. The limits below are those of GB 5749-2022
            # (Standards for drinking water quality), which GB 17051 (secondary water supply
            # hygiene) applies to tank water. Free chlorine (contact >= 30 min): at most 2 mg/L
            # in finished and end-of-network water, at least 0.05 mg/L at the end of the network
            # (0.3 mg/L at the works outlet). This holds where the supply is disinfected with
            # free chlorine; a site on chloramine should record total chlorine instead
            # (at least 0.05 mg/L, at most 3 mg/L).
            {
                "code": "free_chlorine",
                "kind": "reading",
                "zh": "水箱出水游离余氯",
                "en": "Residual free chlorine in water leaving the tank",
                "unit": "mg/L",
                "min": 0.05,
                "max": 2.0,
            },
            # GB 5749-2022: turbidity at most 1 NTU.
            {
                "code": "turbidity",
                "kind": "reading",
                "zh": "浑浊度",
                "en": "Turbidity",
                "unit": "NTU",
                "min": None,
                "max": 1.0,
            },
            # GB 5749-2022: pH from 6.5 to 8.5.
            {
                "code": "ph",
                "kind": "reading",
                "zh": "pH值",
                "en": "Water pH",
                "unit": "pH",
                "min": 6.5,
                "max": 8.5,
            },
            # GB 5749-2022 sensory indicators: no odd smell or taste, nothing visible.
            {
                "code": "water_appearance",
                "kind": "check",
                "zh": "水质无异色、无异臭异味、无肉眼可见物",
                "en": "Water free of unusual colour, smell or taste and of visible matter",
            },
            {
                "code": "lid_locked",
                "kind": "check",
                "zh": "水箱人孔盖加盖上锁，通气管、溢流管防虫网完好",
                "en": "Tank access lid closed and locked; insect screens on vent and overflow "
                "pipes intact",
            },
            # Seed 000 A 3.2.5: no leaks, overflows or drips.
            {
                "code": "no_leaks",
                "kind": "check",
                "zh": "水箱、管道、阀门无跑、冒、滴、漏",
                "en": "No leaks, overflows or drips from the tank, pipes or valves",
            },
            {
                "code": "surroundings_clean",
                "kind": "check",
                "zh": "水箱间清洁，周围无杂物、无积水、无污染源",
                "en": "Tank room clean, with no clutter, standing water or source of pollution "
                "nearby",
            },
            # GB 17051 requires a full cleaning and disinfection at least once a year; many local
            # rules require it every six months. The site sets its own interval.
            {
                "code": "records_current",
                "kind": "check",
                "zh": "巡检及清洗消毒记录齐全，清洗消毒在规定周期内",
                "en": "Inspection, cleaning and disinfection records complete; last cleaning "
                "and disinfection within the required interval",
            },
            {
                "code": "water_report_valid",
                "kind": "check",
                "zh": "水质检测报告在有效期内",
                "en": "Water-quality test report within its validity",
            },
        ),
    },
)
