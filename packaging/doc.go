// Package packaging holds no code: its tests keep the deployment files
// honest — the Dockerfile and .dockerignore at the repository root, and
// cardvault.service and cardvault.env.example in this directory — against
// go.mod, the README's configuration table and the flags the cardvault
// binary accepts. docs/DEPLOY.md describes the files.
package packaging
