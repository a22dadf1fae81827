// Package importer brings a dealership's spreadsheets into dealercrm: the
// customer and vehicle lists a DMS exports as .xlsx or .csv, with the
// dealership's own column names, become crm.Batch records imported
// through crm.Service.Import — the one importer of records, with its
// validation, external IDs and all-or-nothing transactions.
//
// # Reading
//
// OpenXLSX reads one sheet of a workbook as a stream of XML tokens, with
// the shared strings table in a temporary file (memory holds 4 bytes a
// string), and NewCSV reads CSV (UTF-8, with or without a byte-order
// mark, or GB18030/GBK as Excel saves it on a Chinese Windows); both keep
// one row in memory.
// Blank rows are skipped; a Row keeps its number as the spreadsheet shows
// it, so that every report names the row a clerk sees.
//
// # Mapping
//
// A Mapping says which column holds which Field ("customer.name",
// "vehicle.vin", …). DefaultMapping knows the usual Chinese headers
// (客户编号, 客户姓名/姓名, 手机号/手机, 性别, 车架号/VIN, 车牌号, 品牌, 车型,
// 购车日期, 购车价格, …); a JSON mapping file (ReadMapping) adds or
// overrides headers. Headers are compared without spaces, case, width or a
// trailing "*" or "(必填)".
//
// # Values
//
// The parsers convert; crm judges. ParseDate reads 2024/3/5, 2024-03-05,
// 2024.3.5, 2024年3月5日, 20240305 and Excel serial dates (XLSX cells are
// read raw, so a date cell is its serial whatever its format);
// ParseGender reads 男/女; ParseAmount reads ¥259,800, 259800元 and 25.98万;
// CleanMobile folds spaces, dashes, +86 and full-width digits; CleanText
// trims full-width and no-break spaces. Whether the mobile number is one,
// or the purchase date lies in the future, is crm's validation.
//
// # Rows, records and external IDs
//
// A row makes a customer and, when it has a VIN or a plate, a vehicle
// owned by that customer. The vehicle's external ID is its 车辆编号 column
// or else its VIN. A row without a customer number (客户编号) gets the
// derived external ID "row-" + the first 20 hex digits of SHA-256(name
// without spaces, NUL, normalised mobile — or the VIN when there is no
// mobile): stable across runs, so re-imports match, and the same person
// typed with the mobile formatted differently is one customer. A row with
// neither number, mobile nor VIN is rejected (import.no_key). Within an
// import, a customer on several rows is taken from the last of them, and
// a VIN that an earlier row gave to another customer is rejected
// (import.vin_other_owner) — duplicates left to the merge.
//
// # Running
//
// Run imports Options.BatchRows rows per transaction (DefaultBatchRows),
// Options.InFlight batches at once (DefaultInFlight: two transactions on
// two connections), reading the next batch while the current ones are
// written. Results still come in row order — the report, Rejected,
// Committed and so the checkpoint, which only passes batches that are
// all committed — and two batches that share a customer, a vehicle or a
// VIN are written one after the other, so that an import does what one
// batch at a time does (see docs/import.md for the one exception, a VIN
// moved between vehicles, and for what a stopped import without Partial
// may have written). Options.DryRun
// goes through crm.Service.ImportDryRun and writes nothing. With
// Options.Partial, crm's *ValidationError is mapped back from its field
// paths ("customers[3].mobile") to rows, those rows are left out with
// their Reasons and the rest is imported; without it, the first batch
// with a bad row stops the import with a *RowsError. Options.After and
// Options.Committed make an import resumable from a checkpoint. Run
// records an "import" span with one "import.batch" span per batch, the
// counter dealercrm.import.rows (imported, rejected) and the histogram
// dealercrm.import.file.duration (s) — the records are counted by crm —
// on the global OpenTelemetry providers
// under the scope Scope; no personal data goes into attributes.
//
//	src, _ := importer.OpenXLSX("客户资料.xlsx", "")
//	defer src.Close()
//	rep, err := importer.Run(ctx, svc, src, importer.Options{Dealer: "SH01", Partial: true,
//		Rejected: func(r importer.Rejection) error { … r.Text(i18n.Default(), i18n.Chinese) … }})
//
// The dealercrm import command (cmd/dealercrm) wraps Run with a checkpoint
// file, a progress line and the error spreadsheet; see docs/import.md.
package importer
