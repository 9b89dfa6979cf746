package postgres

// SetRekeyBatchBytes lets tests make Rekey's attachment batches small.
func (p *Store) SetRekeyBatchBytes(n int64) { p.rekeyBytes = n }
