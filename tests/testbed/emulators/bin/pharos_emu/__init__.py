"""Host tool and Kubernetes emulators for the pharos testbed (test infrastructure only)."""
