"""gunicorn's settings for msgut, read from the working directory: the Docker image's /app (the
Dockerfile's and docker-compose.yml's web command) and the repository root (`make loadtest`). What
the load test measures is what ships.

Eight single-request (sync) processes on two cores. A process takes a connection only when it is
free, so no request waits behind a busy process while another is idle. With threaded processes
(gthread) a browser's keep-alive connection stays with the process that accepted it, and requests
queued there. Measured on this machine in the same hour (`make loadtest`, 50 users, README:
Performance and reliability): 5 processes of 2 threads, p95 562, 564 and 867 ms; 8 sync processes,
435 ms; 10, 397, 462 and 629 ms. Eight, not ten: each process holds about 200 MB. While one process
waits on PostgreSQL another uses the core.

A sync process answers one request per connection (no keep-alive) and reads a request as it comes:
in production it sits behind the TLS proxy, which keeps browsers' connections and hands it whole
requests.
"""

workers = 8
worker_class = "sync"
timeout = 30
graceful_timeout = 5
