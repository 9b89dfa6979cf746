-- A reviewer's classification of a case: the kind of exploitation
-- (tipline.Exploitation) and the risk to the child (tipline.Risk), who set
-- them and when. Case facts like kind and urgency: plain, never content.
alter table cases
    add column exploitation text,
    add column risk text,
    add column classified_by bigint references reviewers (id),
    add column classified_at timestamptz;
