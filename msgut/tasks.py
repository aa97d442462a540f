from celery import shared_task


@shared_task(ignore_result=False)
def ping_task(value: str) -> str:
    """Round trip through the broker and a worker; /healthz and CI use it."""
    return f"pong:{value}"
