"""The Argo CD DMS plugin: O2dms deployments as argoproj.io/v1alpha1 Applications (CRD mode, via a kubeconfig)."""
