from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("smo", "0001_northbound_and_workflows"),
    ]

    operations = [
        migrations.AddField(
            model_name="northboundcursor",
            name="lease_owner",
            field=models.CharField(
                blank=True,
                help_text="The worker holding the lease: host, process id and a random tag.",
                max_length=100,
            ),
        ),
    ]
