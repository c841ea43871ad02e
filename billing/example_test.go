package billing_test

import (
	"fmt"

	"github.com/shopspring/decimal"
	"golang.org/x/text/language"

	"github.com/ehrkit/ehrkit/billing"
)

// Example prices three units at a fee, exactly, and formats the total.
func Example() {
	fee, _ := billing.ParseMoney("33.335", "USD")
	total := fee.Mul(decimal.NewFromInt(3)).Round()
	s, _ := total.Format(language.AmericanEnglish)
	fmt.Println(total, "|", s)
	// Output: 100.01 USD | $ 100.01
}
