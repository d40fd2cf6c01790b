"""add cleaning checklists, plans, tasks and corrections

Revision ID: eccef523bb6a
Revises: 5bb21b600434
Create Date: 2026-12-01 22:01:18.507232
"""

import sqlalchemy as sa
from alembic import op

revision = 'eccef523bb6a'
down_revision = '5bb21b600434'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('checklist_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('area_kind', sa.String(length=32), nullable=False),
    sa.Column('name_zh', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_checklist_templates_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_templates')),
    sa.UniqueConstraint('site_id', 'name_zh', name=op.f('uq_checklist_templates_site_id_name_zh'))
    )
    with op.batch_alter_table('checklist_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklist_templates_site_id'), ['site_id'], unique=False)

    op.create_table('cleaning_blackouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('name_zh', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('weekdays', sa.String(length=7), nullable=False),
    sa.Column('starts', sa.Time(), nullable=False),
    sa.Column('ends', sa.Time(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_cleaning_blackouts_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cleaning_blackouts'))
    )
    with op.batch_alter_table('cleaning_blackouts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cleaning_blackouts_site_id'), ['site_id'], unique=False)

    op.create_table('cleaning_teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('name_zh', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_cleaning_teams_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cleaning_teams')),
    sa.UniqueConstraint('site_id', 'name_zh', name=op.f('uq_cleaning_teams_site_id_name_zh'))
    )
    with op.batch_alter_table('cleaning_teams', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cleaning_teams_site_id'), ['site_id'], unique=False)

    op.create_table('cleaning_terms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('name_zh', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_cleaning_terms_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cleaning_terms')),
    sa.UniqueConstraint('site_id', 'starts_on', name=op.f('uq_cleaning_terms_site_id_starts_on'))
    )
    with op.batch_alter_table('cleaning_terms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cleaning_terms_site_id'), ['site_id'], unique=False)

    op.create_table('checklist_template_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('text_zh', sa.String(length=200), nullable=False),
    sa.Column('text_en', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=True),
    sa.Column('min_value', sa.Float(), nullable=True),
    sa.Column('max_value', sa.Float(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['template_id'], ['checklist_templates.id'], name=op.f('fk_checklist_template_items_template_id_checklist_templates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_template_items')),
    sa.UniqueConstraint('template_id', 'code', name=op.f('uq_checklist_template_items_template_id_code'))
    )
    with op.batch_alter_table('checklist_template_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklist_template_items_template_id'), ['template_id'], unique=False)

    op.create_table('cleaning_team_members',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['cleaning_teams.id'], name=op.f('fk_cleaning_team_members_team_id_cleaning_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_cleaning_team_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'user_id', name=op.f('pk_cleaning_team_members'))
    )
    op.create_table('cleaning_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('frequency', sa.String(length=16), nullable=False),
    sa.Column('times', sa.String(length=200), nullable=False),
    sa.Column('weekdays', sa.String(length=7), nullable=False),
    sa.Column('per_term', sa.Integer(), nullable=True),
    sa.Column('month_day', sa.Integer(), nullable=True),
    sa.Column('lead_minutes', sa.Integer(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('effective_from', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_cleaning_plans_assignee_id_users')),
    sa.ForeignKeyConstraint(['point_id'], ['points.id'], name=op.f('fk_cleaning_plans_point_id_points')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_cleaning_plans_site_id_sites')),
    sa.ForeignKeyConstraint(['team_id'], ['cleaning_teams.id'], name=op.f('fk_cleaning_plans_team_id_cleaning_teams')),
    sa.ForeignKeyConstraint(['template_id'], ['checklist_templates.id'], name=op.f('fk_cleaning_plans_template_id_checklist_templates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cleaning_plans'))
    )
    with op.batch_alter_table('cleaning_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cleaning_plans_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cleaning_plans_point_id'), ['point_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cleaning_plans_site_id'), ['site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cleaning_plans_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cleaning_plans_template_id'), ['template_id'], unique=False)

    op.create_table('cleaning_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_cleaning_tasks_assignee_id_users')),
    sa.ForeignKeyConstraint(['plan_id'], ['cleaning_plans.id'], name=op.f('fk_cleaning_tasks_plan_id_cleaning_plans')),
    sa.ForeignKeyConstraint(['point_id'], ['points.id'], name=op.f('fk_cleaning_tasks_point_id_points')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_cleaning_tasks_site_id_sites')),
    sa.ForeignKeyConstraint(['team_id'], ['cleaning_teams.id'], name=op.f('fk_cleaning_tasks_team_id_cleaning_teams')),
    sa.ForeignKeyConstraint(['template_id'], ['checklist_templates.id'], name=op.f('fk_cleaning_tasks_template_id_checklist_templates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cleaning_tasks')),
    sa.UniqueConstraint('plan_id', 'due_at', name=op.f('uq_cleaning_tasks_plan_id_due_at'))
    )
    with op.batch_alter_table('cleaning_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cleaning_tasks_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cleaning_tasks_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cleaning_tasks_point_id'), ['point_id'], unique=False)
        batch_op.create_index('ix_cleaning_tasks_site_due', ['site_id', 'due_at'], unique=False)

    op.create_table('checklist_submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('label_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('in_blackout', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['label_id'], ['labels.id'], name=op.f('fk_checklist_submissions_label_id_labels')),
    sa.ForeignKeyConstraint(['point_id'], ['points.id'], name=op.f('fk_checklist_submissions_point_id_points')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_checklist_submissions_site_id_sites')),
    sa.ForeignKeyConstraint(['task_id'], ['cleaning_tasks.id'], name=op.f('fk_checklist_submissions_task_id_cleaning_tasks')),
    sa.ForeignKeyConstraint(['template_id'], ['checklist_templates.id'], name=op.f('fk_checklist_submissions_template_id_checklist_templates')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_checklist_submissions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_submissions')),
    sa.UniqueConstraint('task_id', name=op.f('uq_checklist_submissions_task_id')),
    sa.UniqueConstraint('user_id', 'client_id', name=op.f('uq_checklist_submissions_user_id_client_id'))
    )
    with op.batch_alter_table('checklist_submissions', schema=None) as batch_op:
        batch_op.create_index('ix_checklist_submissions_point_submitted', ['point_id', 'submitted_at'], unique=False)
        batch_op.create_index('ix_checklist_submissions_site_submitted', ['site_id', 'submitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_checklist_submissions_user_id'), ['user_id'], unique=False)

    op.create_table('checklist_item_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('result', sa.String(length=8), nullable=False),
    sa.Column('reading', sa.Float(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('photo_id', sa.Integer(), nullable=True),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['checklist_template_items.id'], name=op.f('fk_checklist_item_results_item_id_checklist_template_items')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_checklist_item_results_job_id_jobs')),
    sa.ForeignKeyConstraint(['photo_id'], ['photos.id'], name=op.f('fk_checklist_item_results_photo_id_photos')),
    sa.ForeignKeyConstraint(['submission_id'], ['checklist_submissions.id'], name=op.f('fk_checklist_item_results_submission_id_checklist_submissions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_item_results')),
    sa.UniqueConstraint('submission_id', 'item_id', name=op.f('uq_checklist_item_results_submission_id_item_id'))
    )
    op.create_table('cleaning_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('result_id', sa.Integer(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fix_note', sa.Text(), nullable=False),
    sa.Column('fix_photo_id', sa.Integer(), nullable=True),
    sa.Column('fixed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('fixed_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('reopen_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_cleaning_corrections_assignee_id_users')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_cleaning_corrections_closed_by_id_users')),
    sa.ForeignKeyConstraint(['fix_photo_id'], ['photos.id'], name=op.f('fk_cleaning_corrections_fix_photo_id_photos')),
    sa.ForeignKeyConstraint(['fixed_by_id'], ['users.id'], name=op.f('fk_cleaning_corrections_fixed_by_id_users')),
    sa.ForeignKeyConstraint(['point_id'], ['points.id'], name=op.f('fk_cleaning_corrections_point_id_points')),
    sa.ForeignKeyConstraint(['result_id'], ['checklist_item_results.id'], name=op.f('fk_cleaning_corrections_result_id_checklist_item_results')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_cleaning_corrections_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cleaning_corrections')),
    sa.UniqueConstraint('result_id', name=op.f('uq_cleaning_corrections_result_id'))
    )
    with op.batch_alter_table('cleaning_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cleaning_corrections_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cleaning_corrections_point_id'), ['point_id'], unique=False)
        batch_op.create_index('ix_cleaning_corrections_site_status', ['site_id', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('cleaning_corrections', schema=None) as batch_op:
        batch_op.drop_index('ix_cleaning_corrections_site_status')
        batch_op.drop_index(batch_op.f('ix_cleaning_corrections_point_id'))
        batch_op.drop_index(batch_op.f('ix_cleaning_corrections_assignee_id'))

    op.drop_table('cleaning_corrections')
    op.drop_table('checklist_item_results')
    with op.batch_alter_table('checklist_submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklist_submissions_user_id'))
        batch_op.drop_index('ix_checklist_submissions_site_submitted')
        batch_op.drop_index('ix_checklist_submissions_point_submitted')

    op.drop_table('checklist_submissions')
    with op.batch_alter_table('cleaning_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_cleaning_tasks_site_due')
        batch_op.drop_index(batch_op.f('ix_cleaning_tasks_point_id'))
        batch_op.drop_index(batch_op.f('ix_cleaning_tasks_plan_id'))
        batch_op.drop_index(batch_op.f('ix_cleaning_tasks_assignee_id'))

    op.drop_table('cleaning_tasks')
    with op.batch_alter_table('cleaning_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cleaning_plans_template_id'))
        batch_op.drop_index(batch_op.f('ix_cleaning_plans_team_id'))
        batch_op.drop_index(batch_op.f('ix_cleaning_plans_site_id'))
        batch_op.drop_index(batch_op.f('ix_cleaning_plans_point_id'))
        batch_op.drop_index(batch_op.f('ix_cleaning_plans_assignee_id'))

    op.drop_table('cleaning_plans')
    op.drop_table('cleaning_team_members')
    with op.batch_alter_table('checklist_template_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklist_template_items_template_id'))

    op.drop_table('checklist_template_items')
    with op.batch_alter_table('cleaning_terms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cleaning_terms_site_id'))

    op.drop_table('cleaning_terms')
    with op.batch_alter_table('cleaning_teams', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cleaning_teams_site_id'))

    op.drop_table('cleaning_teams')
    with op.batch_alter_table('cleaning_blackouts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cleaning_blackouts_site_id'))

    op.drop_table('cleaning_blackouts')
    with op.batch_alter_table('checklist_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklist_templates_site_id'))

    op.drop_table('checklist_templates')
