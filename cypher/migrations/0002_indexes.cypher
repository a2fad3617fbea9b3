// Range indexes for every property a filter or a sort uses, and the full-text index for search.
CREATE INDEX component_label IF NOT EXISTS FOR (n:Component) ON (n.label);
CREATE INDEX component_created_at IF NOT EXISTS FOR (n:Component) ON (n.createdAt);
CREATE INDEX component_updated_at IF NOT EXISTS FOR (n:Component) ON (n.updatedAt);
CREATE INDEX component_sector IF NOT EXISTS FOR (n:Component) ON (n.sector);
CREATE INDEX component_layer IF NOT EXISTS FOR (n:Component) ON (n.layer);
CREATE INDEX delivery_kind IF NOT EXISTS FOR ()-[d:DELIVERS]-() ON (d.kind);
CREATE INDEX delivery_delivery_type IF NOT EXISTS FOR ()-[d:DELIVERS]-() ON (d.deliveryType);
CREATE INDEX delivery_scenario IF NOT EXISTS FOR ()-[d:DELIVERS]-() ON (d.scenario);
CREATE INDEX delivery_time_slice IF NOT EXISTS FOR ()-[d:DELIVERS]-() ON (d.timeSlice);
CREATE INDEX delivery_spatial_unit IF NOT EXISTS FOR ()-[d:DELIVERS]-() ON (d.spatialUnit);
CREATE INDEX delivery_valid_from IF NOT EXISTS FOR ()-[d:DELIVERS]-() ON (d.validFrom);
CREATE INDEX delivery_valid_to IF NOT EXISTS FOR ()-[d:DELIVERS]-() ON (d.validTo);
CREATE INDEX delivery_created_at IF NOT EXISTS FOR ()-[d:DELIVERS]-() ON (d.createdAt);
CREATE INDEX delivery_updated_at IF NOT EXISTS FOR ()-[d:DELIVERS]-() ON (d.updatedAt);
CREATE INDEX delivery_weight IF NOT EXISTS FOR ()-[d:DELIVERS]-() ON (d.weight);
CREATE INDEX matrix_name IF NOT EXISTS FOR (m:Matrix) ON (m.name);
CREATE FULLTEXT INDEX component_text IF NOT EXISTS FOR (n:Component) ON EACH [n.label, n.description];
