"""gunicorn settings for consult: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app``.

Every value can be overridden from the environment (GUNICORN_*), so one file serves a
small server and a big one. The app servers are stateless (sessions are signed cookies,
rate limits and page revisions live in Redis and the database), so any number of them
can stand behind nginx.
"""
import multiprocessing
import os

# Workers from cores: pages are rendered in Python (CPU-bound), database waits are short.
# One worker per core, each with threads for the time spent waiting on the database: with
# PostgreSQL and nginx on the same cores, more processes only take turns (on 2 cores, 2
# workers recorded 184-191 comments/s where 3 recorded 133-183 and 4 159-165:
# bench/comment_load.py --stack nginx-postgres).
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
# A few threads per worker keep slow clients (a phone on a slow line behind nginx's
# buffering still holds a thread while an upload streams) from blocking a whole worker.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Long enough for the largest legitimate request (a 100,000-row answers upload takes
# about 20 s on a small server), short enough that a stuck worker is replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 120))
# On SIGHUP or a deploy, workers finish what they serve before they go.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = 5
# Workers are replaced now and then, so that a slow leak can never take a server down.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 5000))
max_requests_jitter = 500
# The application is loaded in each worker, after the fork: database connections are
# never shared between processes.
preload_app = False
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s"'
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# nginx on the same machine is the only client; see BEHIND_PROXY and TRUSTED_PROXIES.
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", "127.0.0.1")
proc_name = "consult"
# gunicorn's control socket (gunicornc) is not used by consult; left on, every gunicorn of
# one user would share ~/.gunicorn/gunicorn.ctl, each new one taking it from the last.
control_socket_disable = True
