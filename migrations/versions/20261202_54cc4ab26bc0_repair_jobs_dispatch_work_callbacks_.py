"""Repair jobs: dispatch, the technician's work, callbacks, materials and maintenance

Revision ID: 54cc4ab26bc0
Revises: eccef523bb6a
Create Date: 2026-12-02 00:51:18.956925
"""

import sqlalchemy as sa
from alembic import op

revision = '54cc4ab26bc0'
down_revision = 'eccef523bb6a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_sample_draws',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('drawn_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_jobs', sa.Integer(), nullable=False),
    sa.Column('sampled', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_job_sample_draws_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_sample_draws')),
    sa.UniqueConstraint('site_id', 'week_start', name=op.f('uq_job_sample_draws_site_id_week_start'))
    )
    op.create_table('job_settings',
    sa.Column('site_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('emergency_minutes', sa.Integer(), nullable=False),
    sa.Column('urgent_minutes', sa.Integer(), nullable=False),
    sa.Column('normal_minutes', sa.Integer(), nullable=False),
    sa.Column('planned_minutes', sa.Integer(), nullable=False),
    sa.Column('sample_percent', sa.Integer(), nullable=False),
    sa.Column('repeat_count', sa.Integer(), nullable=False),
    sa.Column('repeat_days', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_job_settings_site_id_sites')),
    sa.PrimaryKeyConstraint('site_id', name=op.f('pk_job_settings'))
    )
    op.create_table('materials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name_zh', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('unit_zh', sa.String(length=16), nullable=False),
    sa.Column('unit_en', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_materials_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_materials')),
    sa.UniqueConstraint('site_id', 'code', name=op.f('uq_materials_site_id_code'))
    )
    with op.batch_alter_table('materials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_materials_site_id'), ['site_id'], unique=False)

    op.create_table('maintenance_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('name_zh', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('discipline', sa.String(length=16), nullable=False),
    sa.Column('every', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=8), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('lead_days', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['point_id'], ['points.id'], name=op.f('fk_maintenance_plans_point_id_points')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_maintenance_plans_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_maintenance_plans'))
    )
    with op.batch_alter_table('maintenance_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_maintenance_plans_point_id'), ['point_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_maintenance_plans_site_id'), ['site_id'], unique=False)

    op.create_table('job_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('is_lead', sa.Boolean(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_job_assignments_job_id_jobs')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_job_assignments_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_assignments')),
    sa.UniqueConstraint('job_id', 'user_id', name=op.f('uq_job_assignments_job_id_user_id'))
    )
    with op.batch_alter_table('job_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_assignments_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_assignments_user_id'), ['user_id'], unique=False)

    op.create_table('job_callbacks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_by_id', sa.Integer(), nullable=True),
    sa.Column('method', sa.String(length=16), nullable=True),
    sa.Column('satisfaction', sa.String(length=24), nullable=True),
    sa.Column('comments', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['done_by_id'], ['users.id'], name=op.f('fk_job_callbacks_done_by_id_users')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_job_callbacks_job_id_jobs')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_job_callbacks_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_callbacks')),
    sa.UniqueConstraint('job_id', 'kind', 'round', name=op.f('uq_job_callbacks_job_id_kind_round'))
    )
    with op.batch_alter_table('job_callbacks', schema=None) as batch_op:
        batch_op.create_index('ix_job_callbacks_site_open', ['site_id', 'done_at', 'due_at'], unique=False)

    op.create_table('job_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_job_events_actor_id_users')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_job_events_job_id_jobs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_events'))
    )
    with op.batch_alter_table('job_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_events_job_id'), ['job_id'], unique=False)

    op.create_table('job_materials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_job_materials_added_by_id_users')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_job_materials_job_id_jobs')),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_job_materials_material_id_materials')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_materials'))
    )
    with op.batch_alter_table('job_materials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_materials_job_id'), ['job_id'], unique=False)

    op.create_table('job_signatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('png', sa.LargeBinary(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('signer_name', sa.String(length=80), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_job_signatures_job_id_jobs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_signatures')),
    sa.UniqueConstraint('job_id', name=op.f('uq_job_signatures_job_id'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('location_text', sa.String(length=200), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('channel', sa.String(length=16), nullable=False, server_default=sa.text("'staff'")))
        batch_op.add_column(sa.Column('requester_name', sa.String(length=80), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('requester_phone', sa.String(length=32), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('requested_by', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('out_of_scope', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('out_of_scope_reason', sa.String(length=500), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('discipline', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('priority', sa.String(length=16), nullable=False, server_default=sa.text("'normal'")))
        batch_op.add_column(sa.Column('respond_by', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('assigned_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('departed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('arrived_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('arrival_label_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('hold_reason', sa.String(length=500), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('work_notes', sa.Text(), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('category', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('price', sa.Numeric(precision=10, scale=2), nullable=True))
        batch_op.add_column(sa.Column('price_accepted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('customer_opinion', sa.String(length=500), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('no_signature_reason', sa.String(length=300), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('rework_count', sa.Integer(), nullable=False, server_default=sa.text("'0'")))
        batch_op.add_column(sa.Column('plan_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('plan_due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default=sa.text("'1'")))
        batch_op.create_index('ix_jobs_point_closed', ['point_id', 'closed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_respond_by'), ['respond_by'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_jobs_plan_id_plan_due_on'), ['plan_id', 'plan_due_on'])
        batch_op.create_foreign_key(batch_op.f('fk_jobs_arrival_label_id_labels'), 'labels', ['arrival_label_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_jobs_plan_id_maintenance_plans'), 'maintenance_plans', ['plan_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_jobs_assigned_by_id_users'), 'users', ['assigned_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_jobs_closed_by_id_users'), 'users', ['closed_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_jobs_closed_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_jobs_assigned_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_jobs_plan_id_maintenance_plans'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_jobs_arrival_label_id_labels'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_jobs_plan_id_plan_due_on'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_jobs_respond_by'))
        batch_op.drop_index('ix_jobs_point_closed')
        batch_op.drop_column('version')
        batch_op.drop_column('plan_due_on')
        batch_op.drop_column('plan_id')
        batch_op.drop_column('rework_count')
        batch_op.drop_column('closed_by_id')
        batch_op.drop_column('closed_at')
        batch_op.drop_column('no_signature_reason')
        batch_op.drop_column('customer_opinion')
        batch_op.drop_column('price_accepted_at')
        batch_op.drop_column('price')
        batch_op.drop_column('category')
        batch_op.drop_column('work_notes')
        batch_op.drop_column('hold_reason')
        batch_op.drop_column('arrival_label_id')
        batch_op.drop_column('arrived_at')
        batch_op.drop_column('departed_at')
        batch_op.drop_column('accepted_at')
        batch_op.drop_column('assigned_by_id')
        batch_op.drop_column('assigned_at')
        batch_op.drop_column('respond_by')
        batch_op.drop_column('priority')
        batch_op.drop_column('discipline')
        batch_op.drop_column('out_of_scope_reason')
        batch_op.drop_column('out_of_scope')
        batch_op.drop_column('requested_by')
        batch_op.drop_column('requester_phone')
        batch_op.drop_column('requester_name')
        batch_op.drop_column('channel')
        batch_op.drop_column('location_text')

    op.drop_table('job_signatures')
    with op.batch_alter_table('job_materials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_materials_job_id'))

    op.drop_table('job_materials')
    with op.batch_alter_table('job_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_events_job_id'))

    op.drop_table('job_events')
    with op.batch_alter_table('job_callbacks', schema=None) as batch_op:
        batch_op.drop_index('ix_job_callbacks_site_open')

    op.drop_table('job_callbacks')
    with op.batch_alter_table('job_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_assignments_user_id'))
        batch_op.drop_index(batch_op.f('ix_job_assignments_job_id'))

    op.drop_table('job_assignments')
    with op.batch_alter_table('maintenance_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_maintenance_plans_site_id'))
        batch_op.drop_index(batch_op.f('ix_maintenance_plans_point_id'))

    op.drop_table('maintenance_plans')
    with op.batch_alter_table('materials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_materials_site_id'))

    op.drop_table('materials')
    op.drop_table('job_settings')
    op.drop_table('job_sample_draws')
