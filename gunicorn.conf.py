"""gunicorn's settings for msgut, read from the working directory: the Docker image's /app (the
Dockerfile's and docker-compose.yml's web command) and the repository root (`make loadtest`). What
the load test measures is what ships.

Five processes of two threads on two cores (gunicorn's advice: twice the cores, plus one). A browser
keeps its connection to the process that accepted it, so with fewer processes a request could wait
behind a busy one while another was idle; with five, measured alternately with three on this machine
(`make loadtest`, 50 users), p95 207 and 289 ms against 250 and 543 ms (README, Performance and
reliability). While one thread waits on PostgreSQL the other can use the core.
"""

workers = 5
worker_class = "gthread"
threads = 2
timeout = 30
graceful_timeout = 5
# Browsers (and the load test's users) keep their connection between actions; at gunicorn's default
# of 2 s the server closed some just as a user sent on them.
keepalive = 5
