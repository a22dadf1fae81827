package grading_test

import "github.com/shopspring/decimal"

func decimalOf(x int64) decimal.Decimal { return decimal.NewFromInt(x) }
