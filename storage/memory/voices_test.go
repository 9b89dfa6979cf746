package memory_test

import (
	"testing"
	"time"

	"github.com/tipline/tipline/storage/memory"
	"github.com/tipline/tipline/storage/storagetest"
)

func TestMemoryVoicesContract(t *testing.T) {
	storagetest.RunVoicesContract(t, func(t *testing.T) storagetest.Voices { return memory.New(time.Now) })
}
