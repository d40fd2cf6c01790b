"""add patrol, photos, jobs and notifications tables

Revision ID: 5bb21b600434
Revises: 302347502d77
Create Date: 2026-12-01 21:18:25.803048
"""

import sqlalchemy as sa
from alembic import op

revision = '5bb21b600434'
down_revision = '302347502d77'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_counters',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_job_counters'))
    )
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('url', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_notifications_site_id_sites')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('user_id', 'kind', 'key', name=op.f('uq_notifications_user_id_kind_key'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_read', ['user_id', 'read_at'], unique=False)

    op.create_table('patrol_chain_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('rows_checked', sa.Integer(), nullable=False),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_patrol_chain_checks_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_chain_checks'))
    )
    with op.batch_alter_table('patrol_chain_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patrol_chain_checks_site_id'), ['site_id'], unique=False)

    op.create_table('patrol_chain_heads',
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_patrol_chain_heads_site_id_sites')),
    sa.PrimaryKeyConstraint('site_id', name=op.f('pk_patrol_chain_heads'))
    )
    op.create_table('patrol_handovers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('outgoing_id', sa.Integer(), nullable=False),
    sa.Column('incoming_id', sa.Integer(), nullable=True),
    sa.Column('keys', sa.Text(), nullable=False),
    sa.Column('doors_windows', sa.Text(), nullable=False),
    sa.Column('open_incidents', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['users.id'], name=op.f('fk_patrol_handovers_acknowledged_by_id_users')),
    sa.ForeignKeyConstraint(['incoming_id'], ['users.id'], name=op.f('fk_patrol_handovers_incoming_id_users')),
    sa.ForeignKeyConstraint(['outgoing_id'], ['users.id'], name=op.f('fk_patrol_handovers_outgoing_id_users')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_patrol_handovers_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_handovers'))
    )
    with op.batch_alter_table('patrol_handovers', schema=None) as batch_op:
        batch_op.create_index('ix_patrol_handovers_site_written', ['site_id', 'written_at'], unique=False)

    op.create_table('patrol_posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('name_zh', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_patrol_posts_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_posts')),
    sa.UniqueConstraint('site_id', 'name_zh', name=op.f('uq_patrol_posts_site_id_name_zh'))
    )
    with op.batch_alter_table('patrol_posts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patrol_posts_site_id'), ['site_id'], unique=False)

    op.create_table('patrol_routes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('name_zh', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('strict_order', sa.Boolean(), nullable=False),
    sa.Column('min_walk_seconds', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_patrol_routes_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_routes'))
    )
    with op.batch_alter_table('patrol_routes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patrol_routes_site_id'), ['site_id'], unique=False)

    op.create_table('patrol_settings',
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('clock_tolerance_seconds', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_patrol_settings_site_id_sites')),
    sa.PrimaryKeyConstraint('site_id', name=op.f('pk_patrol_settings'))
    )
    op.create_table('photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('owner_kind', sa.String(length=32), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_photos_site_id_sites')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_photos_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photos')),
    sa.UniqueConstraint('uploaded_by_id', 'client_id', name=op.f('uq_photos_uploaded_by_id_client_id'))
    )
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.create_index('ix_photos_owner', ['owner_kind', 'owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_photos_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_photos_site_id'), ['site_id'], unique=False)

    op.create_table('patrol_post_guards',
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['patrol_posts.id'], name=op.f('fk_patrol_post_guards_post_id_patrol_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_patrol_post_guards_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('post_id', 'user_id', name=op.f('pk_patrol_post_guards'))
    )
    op.create_table('patrol_schedules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('route_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('times', sa.String(length=400), nullable=True),
    sa.Column('interval_minutes', sa.Integer(), nullable=True),
    sa.Column('window_start', sa.Time(), nullable=True),
    sa.Column('window_end', sa.Time(), nullable=True),
    sa.Column('weekdays', sa.String(length=7), nullable=False),
    sa.Column('run_minutes', sa.Integer(), nullable=False),
    sa.Column('grace_minutes', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('effective_from', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['patrol_posts.id'], name=op.f('fk_patrol_schedules_post_id_patrol_posts')),
    sa.ForeignKeyConstraint(['route_id'], ['patrol_routes.id'], name=op.f('fk_patrol_schedules_route_id_patrol_routes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_schedules'))
    )
    with op.batch_alter_table('patrol_schedules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patrol_schedules_post_id'), ['post_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_patrol_schedules_route_id'), ['route_id'], unique=False)

    op.create_table('patrol_route_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('route_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('min_walk_seconds', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['point_id'], ['points.id'], name=op.f('fk_patrol_route_checkpoints_point_id_points')),
    sa.ForeignKeyConstraint(['route_id'], ['patrol_routes.id'], name=op.f('fk_patrol_route_checkpoints_route_id_patrol_routes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_route_checkpoints')),
    sa.UniqueConstraint('route_id', 'point_id', name=op.f('uq_patrol_route_checkpoints_route_id_point_id'))
    )
    with op.batch_alter_table('patrol_route_checkpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patrol_route_checkpoints_point_id'), ['point_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_patrol_route_checkpoints_route_id'), ['route_id'], unique=False)

    op.create_table('patrol_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('route_id', sa.Integer(), nullable=False),
    sa.Column('schedule_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('grace_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('evaluated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['route_id'], ['patrol_routes.id'], name=op.f('fk_patrol_runs_route_id_patrol_routes')),
    sa.ForeignKeyConstraint(['schedule_id'], ['patrol_schedules.id'], name=op.f('fk_patrol_runs_schedule_id_patrol_schedules')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_patrol_runs_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_runs')),
    sa.UniqueConstraint('schedule_id', 'starts_at', name=op.f('uq_patrol_runs_schedule_id_starts_at'))
    )
    with op.batch_alter_table('patrol_runs', schema=None) as batch_op:
        batch_op.create_index('ix_patrol_runs_route_starts', ['route_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_patrol_runs_site_starts', ['site_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_patrol_runs_status_grace', ['status', 'grace_until'], unique=False)

    op.create_table('patrol_schedule_guards',
    sa.Column('schedule_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['schedule_id'], ['patrol_schedules.id'], name=op.f('fk_patrol_schedule_guards_schedule_id_patrol_schedules'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_patrol_schedule_guards_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('schedule_id', 'user_id', name=op.f('pk_patrol_schedule_guards'))
    )
    op.create_table('patrol_check_ins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('label_id', sa.Integer(), nullable=False),
    sa.Column('label_version', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=True),
    sa.Column('scanned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('device_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('latitude', sa.Double(), nullable=True),
    sa.Column('longitude', sa.Double(), nullable=True),
    sa.Column('accuracy_m', sa.Double(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('flags', sa.String(length=200), nullable=False),
    sa.Column('flag_details', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('chain_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['label_id'], ['labels.id'], name=op.f('fk_patrol_check_ins_label_id_labels')),
    sa.ForeignKeyConstraint(['point_id'], ['points.id'], name=op.f('fk_patrol_check_ins_point_id_points')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_patrol_check_ins_site_id_sites')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_patrol_check_ins_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_check_ins')),
    sa.UniqueConstraint('site_id', 'seq', name=op.f('uq_patrol_check_ins_site_id_seq')),
    sa.UniqueConstraint('user_id', 'client_id', name=op.f('uq_patrol_check_ins_user_id_client_id'))
    )
    with op.batch_alter_table('patrol_check_ins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patrol_check_ins_point_id'), ['point_id'], unique=False)
        batch_op.create_index('ix_patrol_check_ins_site_scanned', ['site_id', 'scanned_at'], unique=False)
        batch_op.create_index('ix_patrol_check_ins_user_scanned', ['user_id', 'scanned_at'], unique=False)

    op.create_table('patrol_incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('check_in_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('photo_id', sa.Integer(), nullable=True),
    sa.Column('reported_by_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=True),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['check_in_id'], ['patrol_check_ins.id'], name=op.f('fk_patrol_incidents_check_in_id_patrol_check_ins')),
    sa.ForeignKeyConstraint(['photo_id'], ['photos.id'], name=op.f('fk_patrol_incidents_photo_id_photos')),
    sa.ForeignKeyConstraint(['point_id'], ['points.id'], name=op.f('fk_patrol_incidents_point_id_points')),
    sa.ForeignKeyConstraint(['reported_by_id'], ['users.id'], name=op.f('fk_patrol_incidents_reported_by_id_users')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_patrol_incidents_resolved_by_id_users')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_patrol_incidents_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_incidents')),
    sa.UniqueConstraint('reported_by_id', 'client_id', name=op.f('uq_patrol_incidents_reported_by_id_client_id'))
    )
    with op.batch_alter_table('patrol_incidents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patrol_incidents_check_in_id'), ['check_in_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_patrol_incidents_point_id'), ['point_id'], unique=False)
        batch_op.create_index('ix_patrol_incidents_site_reported', ['site_id', 'reported_at'], unique=False)

    op.create_table('patrol_run_points',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('check_in_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['check_in_id'], ['patrol_check_ins.id'], name=op.f('fk_patrol_run_points_check_in_id_patrol_check_ins')),
    sa.ForeignKeyConstraint(['point_id'], ['points.id'], name=op.f('fk_patrol_run_points_point_id_points')),
    sa.ForeignKeyConstraint(['run_id'], ['patrol_runs.id'], name=op.f('fk_patrol_run_points_run_id_patrol_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_run_points')),
    sa.UniqueConstraint('run_id', 'point_id', name=op.f('uq_patrol_run_points_run_id_point_id'))
    )
    with op.batch_alter_table('patrol_run_points', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patrol_run_points_check_in_id'), ['check_in_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_patrol_run_points_point_id'), ['point_id'], unique=False)

    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('reported_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['patrol_incidents.id'], name=op.f('fk_jobs_incident_id_patrol_incidents')),
    sa.ForeignKeyConstraint(['point_id'], ['points.id'], name=op.f('fk_jobs_point_id_points')),
    sa.ForeignKeyConstraint(['reported_by_id'], ['users.id'], name=op.f('fk_jobs_reported_by_id_users')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_jobs_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs')),
    sa.UniqueConstraint('incident_id', name=op.f('uq_jobs_incident_id')),
    sa.UniqueConstraint('number', name=op.f('uq_jobs_number'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_point_id'), ['point_id'], unique=False)
        batch_op.create_index('ix_jobs_site_status', ['site_id', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_site_status')
        batch_op.drop_index(batch_op.f('ix_jobs_point_id'))

    op.drop_table('jobs')
    with op.batch_alter_table('patrol_run_points', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patrol_run_points_point_id'))
        batch_op.drop_index(batch_op.f('ix_patrol_run_points_check_in_id'))

    op.drop_table('patrol_run_points')
    with op.batch_alter_table('patrol_incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_patrol_incidents_site_reported')
        batch_op.drop_index(batch_op.f('ix_patrol_incidents_point_id'))
        batch_op.drop_index(batch_op.f('ix_patrol_incidents_check_in_id'))

    op.drop_table('patrol_incidents')
    with op.batch_alter_table('patrol_check_ins', schema=None) as batch_op:
        batch_op.drop_index('ix_patrol_check_ins_user_scanned')
        batch_op.drop_index('ix_patrol_check_ins_site_scanned')
        batch_op.drop_index(batch_op.f('ix_patrol_check_ins_point_id'))

    op.drop_table('patrol_check_ins')
    op.drop_table('patrol_schedule_guards')
    with op.batch_alter_table('patrol_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_patrol_runs_status_grace')
        batch_op.drop_index('ix_patrol_runs_site_starts')
        batch_op.drop_index('ix_patrol_runs_route_starts')

    op.drop_table('patrol_runs')
    with op.batch_alter_table('patrol_route_checkpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patrol_route_checkpoints_route_id'))
        batch_op.drop_index(batch_op.f('ix_patrol_route_checkpoints_point_id'))

    op.drop_table('patrol_route_checkpoints')
    with op.batch_alter_table('patrol_schedules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patrol_schedules_route_id'))
        batch_op.drop_index(batch_op.f('ix_patrol_schedules_post_id'))

    op.drop_table('patrol_schedules')
    op.drop_table('patrol_post_guards')
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_photos_site_id'))
        batch_op.drop_index(batch_op.f('ix_photos_sha256'))
        batch_op.drop_index('ix_photos_owner')

    op.drop_table('photos')
    op.drop_table('patrol_settings')
    with op.batch_alter_table('patrol_routes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patrol_routes_site_id'))

    op.drop_table('patrol_routes')
    with op.batch_alter_table('patrol_posts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patrol_posts_site_id'))

    op.drop_table('patrol_posts')
    with op.batch_alter_table('patrol_handovers', schema=None) as batch_op:
        batch_op.drop_index('ix_patrol_handovers_site_written')

    op.drop_table('patrol_handovers')
    op.drop_table('patrol_chain_heads')
    with op.batch_alter_table('patrol_chain_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patrol_chain_checks_site_id'))

    op.drop_table('patrol_chain_checks')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_read')

    op.drop_table('notifications')
    op.drop_table('job_counters')
