-- Interest model: observed conversions (training labels) and the registry of trained models.
-- Scores go to the graph's persona_interest table; model_version there is interest_models.id.

-- One observed outcome per passport and category: did the passport convert (e.g. join a launch)
-- after being exposed? Only labelled passports are trained on; every passport is scored.
CREATE TABLE IF NOT EXISTS interest_labels (
    passport_id BIGINT      NOT NULL,
    category    TEXT        NOT NULL CHECK (category <> ''),
    converted   BOOLEAN     NOT NULL,
    observed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (category, passport_id)
);

-- Every training run, with its held-out evaluation and fitted parameters, so that a score can be
-- traced to the model that produced it and a retrain compared with the last one.
CREATE TABLE IF NOT EXISTS interest_models (
    id               BIGSERIAL        PRIMARY KEY,
    category         TEXT             NOT NULL,
    trained_at       TIMESTAMPTZ      NOT NULL DEFAULT now(),
    n_train          BIGINT           NOT NULL,
    n_test           BIGINT           NOT NULL,
    auc              DOUBLE PRECISION NOT NULL,
    precision_at_k   DOUBLE PRECISION NOT NULL,
    k                BIGINT           NOT NULL,
    n_scored         BIGINT           NOT NULL,
    -- Feature names, standardisation (mean, std), coefficients and intercept.
    parameters       JSONB            NOT NULL
);
CREATE INDEX IF NOT EXISTS interest_models_by_category ON interest_models (category, id);
