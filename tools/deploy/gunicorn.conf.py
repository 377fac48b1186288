"""gunicorn settings for OwnersVote in production (docs/deployment.md).

Copy to /etc/ownersvote/gunicorn.conf.py and start with

    gunicorn -c /etc/ownersvote/gunicorn.conf.py 'webapp.app:create_app()'

Command-line options override what is here (--bind, --workers per machine).
tools/production_smoke.py starts its two processes with this file.
"""

import multiprocessing
import os

# The private address nginx reaches, never a public one (see OWNERSVOTE_PROXY_HOPS); each machine
# sets its own with --bind.
bind = "127.0.0.1:8000"
# Threaded workers: a request casting a ballot spends most of its time waiting for PostgreSQL
# (the durable commit, the sequencer's batch), and sync workers left the cores idle meanwhile
# (docs/performance.md, "Casting a ballot"). Each thread holds at most one or two connections of
# the process's pool.
workers = 2 * multiprocessing.cpu_count()
worker_class = "gthread"
threads = 8
timeout = 30  # no request may take longer; a stuck worker is replaced
graceful_timeout = 30  # on SIGTERM/SIGHUP, requests in flight (a ballot being cast) finish
keepalive = 5  # nginx keeps idle upstream connections (upstream keepalive)
max_requests = 5000  # workers are recycled now and then, at different times
max_requests_jitter = 500

# The access log names the client address nginx forwarded and never a cookie: the format has no
# cookie atom, and the app's filter (webapp/core/logging.py) redacts /r/<token> paths, codes in
# query strings and cookie or authorization atoms anyway.  Reopened on SIGUSR1 (logrotate).
accesslog = "/var/log/ownersvote/access.log"
errorlog = "/var/log/ownersvote/error.log"
# The path without its query string (%(U)s, not %(r)s): a search for an identity number, a mobile
# number or a name is in the query string.  X-Request-ID is the id nginx made ($request_id); the
# app's and the worker's lines carry the same id.  OWNERSVOTE_LOG_FORMAT=json: one JSON object a line.
if os.environ.get("OWNERSVOTE_LOG_FORMAT", "").lower() == "json":
    access_log_format = (
        '{"time": "%(t)s", "client": "%({x-forwarded-for}i)s", "method": "%(m)s", "path": "%(U)s", "status": %(s)s, '
        '"bytes": "%(b)s", "ms": %(M)s, "agent": "%(a)s", "request_id": "%({x-request-id}i)s"}'
    )
else:
    access_log_format = '%({x-forwarded-for}i)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s" req=%({x-request-id}i)s'
# gunicorn itself believes X-Forwarded-Proto only from FORWARDED_ALLOW_IPS (its own environment
# variable, default 127.0.0.1); the app believes the proxy through OWNERSVOTE_PROXY_HOPS.

# gunicorn >= 25.1 opens a control socket in $HOME by default; systemd does the managing here,
# and two instances on one machine would fight over the one path.  (Older gunicorn ignores it.)
control_socket_disable = True


def child_exit(server, worker):
    # Metrics (docs/deployment.md, "Monitoring"): with PROMETHEUS_MULTIPROC_DIR every worker writes
    # its counts there; a worker that exits leaves its counters but not its live gauges.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
