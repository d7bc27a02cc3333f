"""Customer portal: requests and deliveries (see portal templates)."""
