#!/usr/bin/env node
'use strict';
// A hand-written fake shell host for the shell host's protocol tests (test/integration/shell-host-faults.test.ts):
// it speaks the stdio shell protocol (docs/architecture.md) but misbehaves in a different way for each op.
const readline = require('node:readline');

const send = (answer) => process.stdout.write(`${JSON.stringify(answer)}\n`);
const behaviours = {
  'server.version': ({ id }) => send({ id: id + 100, ok: true, data: null }), // answers another id
  'accessEdge.get': ({ id }) => send({ id, ok: true, data: { routing: 'Sideways' } }), // result off the catalog
  'sipDomain.list': ({ id }) => {
    process.stdout.write('WARNING: some cmdlet wrote to the host\n'); // a stray non-JSON line
    send({ id, ok: true, data: [{ name: 'contoso.com', isDefault: true }] });
  },
  'publicProvider.list': ({ id }) => send({ id, ok: 'yes' }), // not a protocol answer
  'hostingProvider.list': ({ id }) => send({ id, ok: true, data: [], warnings: ['The replica is not up to date.'] }),
  'clientPolicy.get': () => {
    process.stderr.write('Import-Module : The specified module Lync was not loaded\n');
    process.exit(5); // crashes mid-call
  },
};

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const request = JSON.parse(line);
  const behave = behaviours[request.op] ?? (({ id }) => send({ id, ok: true, data: { echo: request.params } }));
  behave(request);
});
