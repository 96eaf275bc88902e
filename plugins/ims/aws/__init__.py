"""The AWS IMS plugin: EKS node groups, EC2 instances and instance types through boto3 (see README.md)."""
