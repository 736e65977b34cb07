"""`make capacity`: how far the stage's settings carry the workload, and what 10x and 100x cost."""
