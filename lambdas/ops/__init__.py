"""The ops function: operator actions on jobs (history, re-run), run inside the VPC next to RDS."""
