// Undoes 0002_indexes: drops the range indexes and the full-text index.
// Idempotent (IF EXISTS); one statement per `;`.
DROP INDEX component_label IF EXISTS;
DROP INDEX component_created_at IF EXISTS;
DROP INDEX component_updated_at IF EXISTS;
DROP INDEX component_sector IF EXISTS;
DROP INDEX component_layer IF EXISTS;
DROP INDEX delivery_kind IF EXISTS;
DROP INDEX delivery_delivery_type IF EXISTS;
DROP INDEX delivery_scenario IF EXISTS;
DROP INDEX delivery_time_slice IF EXISTS;
DROP INDEX delivery_spatial_unit IF EXISTS;
DROP INDEX delivery_valid_from IF EXISTS;
DROP INDEX delivery_valid_to IF EXISTS;
DROP INDEX delivery_created_at IF EXISTS;
DROP INDEX delivery_updated_at IF EXISTS;
DROP INDEX delivery_weight IF EXISTS;
DROP INDEX matrix_name IF EXISTS;
DROP INDEX component_text IF EXISTS;
