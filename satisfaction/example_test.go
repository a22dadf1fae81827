package satisfaction_test

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/satisfaction"
)

func ExampleWeigh() {
	var m satisfaction.Matrix
	_ = json.Unmarshal([]byte(`[[1, 3, 5], ["1/3", 1, 2], ["1/5", "1/2", 1]]`), &m)
	r, err := satisfaction.Weigh(m, "speed", "quality", "price")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("weights %.3f λmax %.3f CI %.4f CR %.4f\n", r.Weights, r.LambdaMax, r.CI, r.CR)
	// Output:
	// weights [0.648 0.230 0.122] λmax 3.004 CI 0.0018 CR 0.0032
}

func ExampleConfig_Weigh_inconsistent() {
	m := satisfaction.MatrixFromUpper(3, 9, 1.0/9, 9)
	_, err := satisfaction.Weigh(m, "A", "B", "C")
	var ie *satisfaction.InconsistentError
	fmt.Println(errors.As(err, &ie), dealercrm.ErrorCode(err))
	fmt.Println(err)
	// Like every validation error, it names the field and rule.
	var ve *crm.ValidationError
	if errors.As(err, &ve) {
		fmt.Println(ve.Fields[0].Field, ve.Fields[0].Rule)
	}
	// Output:
	// true invalid
	// satisfaction: consistency ratio 6.130 is not below 0.10; revise judgment [0][1] (A vs B) from 9 to 0.1111 (consistency ratio then 0.483)
	// matrix[0][1] consistency
}

func ExampleWeighHierarchy() {
	root := satisfaction.Node{ID: "csi", Comparisons: satisfaction.MatrixFromUpper(2, 3), Children: []satisfaction.Node{
		{ID: "reception", Weights: []float64{2, 1}, Children: []satisfaction.Node{{ID: "speed"}, {ID: "courtesy"}}},
		{ID: "price"},
	}}
	w, _ := satisfaction.WeighHierarchy(root)
	for _, ind := range w.Indicators {
		fmt.Printf("%d %s %.3f\n", ind.Rank, ind.ID, ind.Global)
	}
	// Output:
	// 1 speed 0.500
	// 2 courtesy 0.250
	// 3 price 0.250
}

// ExampleDefaultServiceQuestionnaireIn prints the default post-service
// call's name and first question in Chinese, the default, and in English.
func ExampleDefaultServiceQuestionnaireIn() {
	for _, lang := range []string{"zh-CN", "en"} {
		q := satisfaction.DefaultServiceQuestionnaireIn(lang)
		fmt.Printf("%s: %s (%s)\n", q.Name, q.Items[0].Text, q.Items[0].IndicatorID)
	}
	// Output:
	// 售后回访: 施工前服务顾问是否向您说明了维修项目和费用？ (service.advisor.explanation)
	// Post-service call: Was the work explained before it started? (service.advisor.explanation)
}
