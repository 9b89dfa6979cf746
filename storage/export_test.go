package storage

// SetRekeyBatchBytes lets tests make Rekey's attachment batches small.
func (p *Postgres) SetRekeyBatchBytes(n int64) { p.rekeyBytes = n }
