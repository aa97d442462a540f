"""gunicorn's settings for msgut, read from the working directory: the Docker image's /app (the
Dockerfile's and docker-compose.yml's web command) and the repository root (`make loadtest`). What
the load test measures is what ships.

Five single-request (sync) processes on two cores (gunicorn's advice: twice the cores, plus one).
A process takes a connection only when it is free, so no request waits behind a busy process while
another is idle. With threaded processes (gthread) a browser's keep-alive connection stays with the
process that accepted it, and its requests queued there. Measured on this machine in the same hour
(`make loadtest`, 50 users; README: Performance and reliability), p95: 5 processes of 2 threads 562,
564 and 867 ms; 5 sync processes 358; 6, 393 and 402; 8, 383-517; 10, 397-629. More processes
contend for the two cores and each keeps its own kept pages (msgut.kept_pages), so fewer of a
patient's requests find what the last one drew; each holds about 200 MB. While one process waits on
PostgreSQL another uses the core.

A sync process answers one request per connection (no keep-alive) and reads a request as it comes:
in production it sits behind the TLS proxy, which keeps browsers' connections and hands it whole
requests.
"""

workers = 5
worker_class = "sync"
timeout = 30
graceful_timeout = 5
