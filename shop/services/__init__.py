"""Write-side business logic of the shop: catalogue, orders, stock and imports."""
