import { anActor } from '../testing/export-job.factory';
import { actorHas } from './actor';
import {
  ALL_SYSTEM_PERMISSIONS,
  combinePermissions,
  hasPermission,
  SYSTEM_PERMISSION_DESCRIPTORS,
  SystemPermissions,
} from './system-permissions';

const isPowerOfTwo = (n: number): boolean => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;

describe('SystemPermissions', () => {
  it('ImportExportTickets is 512, "Import / Export Tickets", import_export_tickets (persisted: never renumber)', () => {
    expect(SystemPermissions.ImportExportTickets).toBe(512);
    const descriptor = SYSTEM_PERMISSION_DESCRIPTORS.find((d) => d.name === 'ImportExportTickets');
    expect(descriptor).toEqual({
      name: 'ImportExportTickets',
      flag: 512,
      label: 'Import / Export Tickets',
      developerName: 'import_export_tickets',
    });
  });

  it('None is 0 and has no descriptor', () => {
    expect(SystemPermissions.None).toBe(0);
    expect(SYSTEM_PERMISSION_DESCRIPTORS.map((d) => d.flag)).not.toContain(0);
  });

  it('every descriptor flag is a power of two, used once, in ascending order', () => {
    const flags = SYSTEM_PERMISSION_DESCRIPTORS.map((d) => d.flag);
    expect(flags.filter((f) => !isPowerOfTwo(f))).toEqual([]);
    expect(new Set(flags).size).toBe(flags.length);
    expect(flags).toEqual([...flags].sort((a, b) => a - b));
  });

  it('each descriptor carries the flag of its name, and every named permission has one descriptor', () => {
    for (const d of SYSTEM_PERMISSION_DESCRIPTORS) expect(d.flag).toBe(SystemPermissions[d.name]);
    const named = Object.keys(SystemPermissions).filter((name) => name !== 'None');
    expect(SYSTEM_PERMISSION_DESCRIPTORS.map((d) => d.name).sort()).toEqual(named.sort());
  });

  it('labels and developer names are unique; developer names are snake_case', () => {
    const labels = SYSTEM_PERMISSION_DESCRIPTORS.map((d) => d.label);
    const developerNames = SYSTEM_PERMISSION_DESCRIPTORS.map((d) => d.developerName);
    expect(new Set(labels).size).toBe(labels.length);
    expect(new Set(developerNames).size).toBe(developerNames.length);
    expect(developerNames.filter((name) => !/^[a-z]+(_[a-z]+)*$/.test(name))).toEqual([]);
  });

  it('ALL_SYSTEM_PERMISSIONS is the union of every descriptor flag', () => {
    const sum = SYSTEM_PERMISSION_DESCRIPTORS.reduce((total, d) => total + d.flag, 0);
    expect(ALL_SYSTEM_PERMISSIONS).toBe(sum);
    expect(hasPermission(ALL_SYSTEM_PERMISSIONS, SystemPermissions.ImportExportTickets)).toBe(true);
  });

  describe('combinePermissions', () => {
    const { ManageTickets, ViewReports, ImportExportTickets, ViewAuditLog } = SystemPermissions;

    it.each<[string, number[], number]>([
      ['no roles', [], 0],
      ['one role', [ImportExportTickets], 512],
      ['two roles', [ManageTickets | ViewReports, ImportExportTickets], 1 | 128 | 512],
      ['overlapping roles', [ImportExportTickets | ManageTickets, ImportExportTickets], 513],
      ['a role with no flag', [0, ViewAuditLog], 2048],
      ['unknown bits, which are dropped', [ImportExportTickets | (1 << 20), 1 << 12], 512],
    ])('%s', (_case, roles, expected) => {
      expect(combinePermissions(roles)).toBe(expected);
    });

    it('accepts any iterable of role flags', () => {
      expect(combinePermissions(new Set([ViewReports, ImportExportTickets]))).toBe(640);
    });
  });

  describe('hasPermission', () => {
    const { ManageTickets, ImportExportTickets } = SystemPermissions;

    it.each<[string, number, number, boolean]>([
      ['the flag alone', 512, ImportExportTickets, true],
      ['the flag among others', 512 | 1 | 2048, ImportExportTickets, true],
      ['every flag', ALL_SYSTEM_PERMISSIONS, ImportExportTickets, true],
      ['nothing', 0, ImportExportTickets, false],
      ['only neighbouring flags', 256 | 1024, ImportExportTickets, false],
      ['one of two required flags', 512, ImportExportTickets | ManageTickets, false],
      ['both required flags', 513, ImportExportTickets | ManageTickets, true],
    ])('%s', (_case, granted, flag, expected) => {
      expect(hasPermission(granted, flag)).toBe(expected);
    });

    it('actorHas reads the actor flags', () => {
      expect(actorHas(anActor({ permissions: 512 | 1 }), ImportExportTickets)).toBe(true);
      expect(actorHas(anActor({ permissions: 1 | 2 | 4 }), ImportExportTickets)).toBe(false);
    });
  });
});
