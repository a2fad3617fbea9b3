"""Components and deliveries: their types (from the domain models), queries and mutations."""
