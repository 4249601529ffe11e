-- A protocol's pathway applies within the protocol's territory only: the ISTAT code of a
-- region (2 digits), a province (3) or a comune (6); '' for everywhere. Before, a person in
-- Barletta was offered L'Aquila's ASL first, 261 km away.
ALTER TABLE desk_pathway ADD COLUMN territory TEXT NOT NULL DEFAULT '';

-- The demo's two protocols covered both of its provinces; they are now one per Prefettura
-- (loading the demo saves them again).
DELETE FROM desk_pathway WHERE protocol IN (
    'Protocollo d''intesa Prefettura–ASL per l''accesso alle cure dei cittadini stranieri',
    'Protocollo Prefettura–CPIA per i corsi di lingua italiana'
);
