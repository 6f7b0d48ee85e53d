// What every statement file shares: the connection type and the time stamps it writes.
import type Database from 'better-sqlite3';

export type Db = Database.Database;

export const now = () => new Date().toISOString();
