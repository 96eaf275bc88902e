"""The OpenStack IMS plugin: Nova host aggregates, servers and flavors through openstacksdk (see README.md)."""
