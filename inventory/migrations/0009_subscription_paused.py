from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0008_subscription_delivery_queued"),
    ]

    operations = [
        migrations.AddField(
            model_name="subscription",
            name="paused",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]
