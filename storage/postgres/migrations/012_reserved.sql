-- Kept so that migration numbers stay contiguous (tern needs them): this
-- number was reserved while two branches grew at once. It does nothing.
select 1;
