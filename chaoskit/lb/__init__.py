"""The sample load balancer: HAProxy as its data plane, a control plane modelled on NLB's
health checks (thresholds, velocity control, fail-open, zonal DNS failover)."""
