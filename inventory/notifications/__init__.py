"""O2ims inventory subscriptions and their notifications (O2-REFERENCE.md §5).

- filters: what a subscription's filter means and how it is checked (docs/decisions/0004-subscription-filters.md);
- callbacks: which callback URLs are acceptable (https, no private targets; checked again at delivery);
- outbox: the change-log listener that writes one outbox row per change and matching subscription;
- delivery: sends the rows, per subscription in order, one in flight, with backoff and expiry;
- auth: OAuth2 client credentials, mTLS and HMAC signatures towards SMOs;
- tasks: the Celery tasks (delivery, sweeper, O-Cloud registration); metrics: the Prometheus collector.
"""
