package postgres

// UpsertChunk is upsertChunk, for the tests of package postgres_test.
const UpsertChunk = upsertChunk

// Translate is translate, for the tests of package postgres_test.
var Translate = translate
