"""Pages of the demo storefront: catalogue, basket and checkout, customer account."""
