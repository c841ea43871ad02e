// Drives a FHIR server with fhir-kit-client and prints what it saw as one
// JSON object. Usage: node client.mjs BASE_URL TOKEN

import { Client } from 'fhir-kit-client';

async function main() {
  const [baseUrl, token] = process.argv.slice(2);
  const client = new Client({ baseUrl, customHeaders: { Authorization: `Bearer ${token}` } });
  const out = {};
  const cap = await client.capabilityStatement();
  out.fhirVersion = cap.fhirVersion;
  const created = await client.create({
    resourceType: 'Patient',
    body: { resourceType: 'Patient', name: [{ family: 'Nodeclient', given: ['Kit'] }], gender: 'other', birthDate: '1991-09-19' },
  });
  out.createdVersion = created.meta.versionId;
  const read = await client.read({ resourceType: 'Patient', id: created.id });
  out.readFamily = read.name[0].family;
  read.name[0].given = ['Kit', 'Updated'];
  const updated = await client.update({ resourceType: 'Patient', id: created.id, body: read, options: { headers: { 'If-Match': 'W/"1"' } } });
  out.updatedVersion = updated.meta.versionId;
  try {
    await client.update({ resourceType: 'Patient', id: created.id, body: read, options: { headers: { 'If-Match': 'W/"1"' } } });
    out.staleStatus = 200;
  } catch (e) {
    out.staleStatus = e.response.status;
  }
  for (let i = 0; i < 5; i++) {
    await client.create({
      resourceType: 'Observation',
      body: {
        resourceType: 'Observation', status: 'final',
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
        code: { coding: [{ system: 'http://loinc.org', code: '2345-7' }] },
        subject: { reference: `Patient/${created.id}` },
        effectiveDateTime: `2026-01-0${i + 1}T08:00:00Z`,
        valueQuantity: { value: 90 + i, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' },
      },
    });
  }
  let page = await client.search({ resourceType: 'Observation', searchParams: { patient: created.id, _count: 2, _include: 'Observation:patient' } });
  out.pages = 0;
  out.matches = 0;
  out.included = 0;
  while (page) {
    out.pages++;
    for (const e of page.entry || []) {
      if (e.search.mode === 'match') out.matches++;
      else out.included++;
    }
    page = await client.nextPage({ bundle: page });
  }
  const tx = await client.transaction({
    body: {
      resourceType: 'Bundle', type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:5f1b7c2e-1111-4a4a-9b9b-000000000001', request: { method: 'POST', url: 'Patient' },
          resource: { resourceType: 'Patient', name: [{ family: 'Nodetx' }] } },
        { fullUrl: 'urn:uuid:5f1b7c2e-1111-4a4a-9b9b-000000000002', request: { method: 'POST', url: 'Observation' },
          resource: {
            resourceType: 'Observation', status: 'final',
            code: { coding: [{ system: 'http://loinc.org', code: '2345-7' }] },
            subject: { reference: 'urn:uuid:5f1b7c2e-1111-4a4a-9b9b-000000000001' },
            effectiveDateTime: '2026-02-01T08:00:00Z',
            valueQuantity: { value: 99, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' },
          } },
      ],
    },
  });
  out.transactionStatuses = tx.entry.map((e) => e.response.status);
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e) + (e.response ? ' ' + JSON.stringify(e.response.data) : ''));
  process.exit(1);
});
