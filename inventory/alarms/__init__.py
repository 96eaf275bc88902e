"""O2ims infrastructure monitoring (O2-REFERENCE.md §6): alarm event records, alarm subscriptions, the alarm
service configuration, and AlarmEventNotifications through the inventory's durable outbox."""
