package dealercrm

// Version is the version of this release of dealercrm, in semantic
// versioning: the one place it is written. The command-line tool
// (cmd/dealercrm version) and the OpenAPI document of the HTTP adapter
// (info.version) report it; CHANGELOG.md lists what each version changed.
// Before 1.0.0 a minor version may change the API.
const Version = "0.1.0"
