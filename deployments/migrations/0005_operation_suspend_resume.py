# Suspend and resume lifecycle operations (docs/decisions/0017-suspend-resume.md): new choices only.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('deployments', '0004_operation_task_id'),
    ]

    operations = [
        migrations.AlterField(
            model_name='lifecycleoperation',
            name='kind',
            field=models.CharField(choices=[('install', 'Install'), ('upgrade', 'Upgrade'), ('scale', 'Scale'), ('rollback', 'Rollback'), ('delete', 'Delete'), ('suspend', 'Suspend'), ('resume', 'Resume')], max_length=10),
        ),
    ]
