import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    """Food.updated_at: the food search rebuilds its cached catalog when a shared food changes."""

    dependencies = [
        ("tracker", "0002_entry_tokens"),
    ]

    operations = [
        migrations.AddField(
            model_name="food",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
    ]
