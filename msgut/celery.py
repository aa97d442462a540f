import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msgut.settings")

# msgut itself is not an installed app, so its tasks module is named explicitly.
app = Celery("msgut", include=["msgut.tasks"])
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
