import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { AUDIT_CSV_HEADER, AUDIT_VIEW_LIMIT, auditCsv, auditView, csvField } from '../../src/slack/blocks/audit-view.js';
import { MAX_BLOCKS, MAX_SECTION_TEXT } from '../../src/slack/blocks/format.js';
import { sectionTexts } from '../support/blocks.js';
import { AuditEntryFactory } from '../support/factories.js';

const NOW = new Date('2025-03-10T12:00:00Z');

function lines(blocks: KnownBlock[]): string[] {
  return sectionTexts(blocks).flatMap((t) => t.split('\n'));
}

describe('auditView', () => {
  it('one line per entry: time, actor, action, target, from → to, detail', () => {
    const view = auditView(
      [
        AuditEntryFactory.create({ action: 'approve', actor: 'U0BOB', from: 'To release', to: 'Releasing', detail: 'freeze overridden: hotfix <INC-1>' }),
        AuditEntryFactory.create({ at: '2025-03-10T09:00:00Z', actor: 'system', action: 'finish', to: 'Released' }),
        AuditEntryFactory.create({ at: '2025-03-09T12:00:00Z', action: 'reject', detail: 'wrong\nimage tag' }),
      ],
      'Audit: rt-7k2f9q',
      NOW,
    );
    expect(view.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Audit: rt-7k2f9q', emoji: true } });
    expect(view.text).toBe('Audit: rt-7k2f9q: 3 audit entries');
    const [first, second, third] = lines(view.blocks);
    expect(first).toBe(
      '<!date^1741607700^{date_short_pretty} {time}|2025-03-10T11:55:00.000Z> · <@U0BOB> · *approve* `rt-7k2f9q` in prod · ' +
        'To release → Releasing — freeze overridden: hotfix &lt;INC-1&gt;',
    );
    expect(second).toContain('|2025-03-10T09:00:00.000Z> · system · *finish*');
    expect(second).toContain('— → Released');
    expect(third).toContain('|2025-03-09T12:00:00.000Z> · <@U0ALICE> · *reject*');
    expect(third).toContain('— wrong image tag');
    expect(third).not.toContain('→');
  });

  it('keeps the order given (newest first)', () => {
    const entries = [AuditEntryFactory.create({ action: 'c' }), AuditEntryFactory.create({ action: 'a' }), AuditEntryFactory.create({ action: 'b' })];
    expect(lines(auditView(entries, 'Audit', NOW).blocks).map((l) => /\*(\w)\*/.exec(l)?.[1])).toEqual(['c', 'a', 'b']);
  });

  it('empty: says nothing matches', () => {
    const view = auditView([], 'Audit: prod', NOW);
    expect(sectionTexts(view.blocks)).toEqual(['No audit entries match']);
    expect(view.text).toContain('No audit entries match');
  });

  it('500 entries with long details stay within limits and point at --csv', () => {
    const entries = Array.from({ length: 500 }, (_, i) =>
      AuditEntryFactory.create({
        at: new Date(NOW.getTime() - i * 60_000).toISOString(),
        action: 'reject',
        target: `rt-${String(i).padStart(6, '0')}`,
        from: 'To release',
        to: 'To release',
        detail: `reason ${i}: ${'x'.repeat(2000)}`,
      }),
    );
    const { blocks, text } = auditView(entries, 'Audit: everything', NOW);
    expect(text).toContain('500 audit entries');
    expect(blocks.length).toBeLessThanOrEqual(MAX_BLOCKS);
    for (const t of sectionTexts(blocks)) expect(t.length).toBeLessThanOrEqual(MAX_SECTION_TEXT);
    const all = lines(blocks);
    const shown = all.filter((l) => l.includes('*reject*')).length;
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThanOrEqual(AUDIT_VIEW_LIMIT);
    expect(all.at(-1)).toBe(`…and ${500 - shown} more (use --csv for all)`);
  });

  it('500 short entries: the first AUDIT_VIEW_LIMIT are listed, the rest counted', () => {
    const entries = Array.from({ length: 500 }, (_, i) => AuditEntryFactory.create({ target: `rt-${i}` }));
    const all = lines(auditView(entries, 'Audit', NOW).blocks);
    expect(all.filter((l) => l.includes('*start*'))).toHaveLength(AUDIT_VIEW_LIMIT);
    expect(all.at(-1)).toBe(`…and ${500 - AUDIT_VIEW_LIMIT} more (use --csv for all)`);
  });
});

describe('auditCsv', () => {
  it('header, one row per entry, ISO times, trailing newline', () => {
    const csv = auditCsv([
      AuditEntryFactory.create({ at: '2025-03-10T11:55:00Z', from: 'To release', to: 'Releasing' }),
      AuditEntryFactory.create({ at: '2025-03-10T09:00:00.5+01:00', actor: 'system', action: 'finish' }),
    ]);
    expect(csv).toBe(
      `${AUDIT_CSV_HEADER}\n` +
        '2025-03-10T11:55:00.000Z,U0ALICE,start,rt-7k2f9q,prod,To release,Releasing,\n' +
        '2025-03-10T08:00:00.500Z,system,finish,rt-7k2f9q,prod,,,\n',
    );
    expect(AUDIT_CSV_HEADER).toBe('time,actor,action,target,env,from,to,detail');
  });

  it('empty: header only', () => {
    expect(auditCsv([])).toBe('time,actor,action,target,env,from,to,detail\n');
  });

  it('quotes fields with quotes, commas and line breaks (RFC 4180)', () => {
    const csv = auditCsv([AuditEntryFactory.create({ action: 'reject', detail: 'said "no", twice\nthen left' }), AuditEntryFactory.create({ detail: 'a\r\nb' })]);
    expect(csv.split('\n')[1]).toBe('2025-03-10T11:55:00.000Z,U0ALICE,reject,rt-7k2f9q,prod,,,"said ""no"", twice');
    expect(csv).toContain(',"said ""no"", twice\nthen left"\n');
    expect(csv).toContain(',"a\r\nb"\n');
    expect(parseCsv(csv)).toEqual([
      ['time', 'actor', 'action', 'target', 'env', 'from', 'to', 'detail'],
      ['2025-03-10T11:55:00.000Z', 'U0ALICE', 'reject', 'rt-7k2f9q', 'prod', '', '', 'said "no", twice\nthen left'],
      ['2025-03-10T11:55:00.000Z', 'U0ALICE', 'start', 'rt-7k2f9q', 'prod', '', '', 'a\r\nb'],
    ]);
  });

  it('csvField', () => {
    expect(csvField(undefined)).toBe('');
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('"')).toBe('""""');
  });

  it('every one of 500 entries gets a row', () => {
    const entries = Array.from({ length: 500 }, (_, i) => AuditEntryFactory.create({ target: `rt-${i}`, detail: `x, "${i}"` }));
    const rows = parseCsv(auditCsv(entries));
    expect(rows).toHaveLength(501);
    expect(rows[500]).toEqual(['2025-03-10T11:55:00.000Z', 'U0ALICE', 'start', 'rt-499', 'prod', '', '', 'x, "499"']);
  });
});

/** A small RFC 4180 reader for the round-trip checks (rows end with "\n"). */
function parseCsv(csv: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < csv.length; i++) {
    const c = csv[i]!;
    if (quoted) {
      if (c === '"' && csv[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\n') row.push(field), rows.push(row), (row = []), (field = '');
    else field += c;
  }
  return rows;
}

describe('CSV formula injection', () => {
  it('turns a cell that would start a spreadsheet formula into text', () => {
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('-rf')).toBe("'-rf");
    expect(csvField('@me')).toBe("'@me");
    expect(csvField('fine')).toBe('fine');
  });
});
