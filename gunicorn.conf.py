"""gunicorn's settings for msgut, read from the working directory: the Docker image's /app (the
Dockerfile's and docker-compose.yml's web command) and the repository root (`make loadtest`). What
the load test measures is what ships.

Three processes of two threads on two cores: while one thread waits on PostgreSQL the other can use
the core; `make loadtest` (50 users) meets its goal with these (README, Performance and reliability).
"""

workers = 3
worker_class = "gthread"
threads = 2
timeout = 30
graceful_timeout = 5
# Browsers (and the load test's users) keep their connection between actions; at gunicorn's default
# of 2 s the server closed some just as a user sent on them.
keepalive = 5
