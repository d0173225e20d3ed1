// The registry of operations a playbook task can name.
import type { Operation } from '../engine/operation.js';
import { blockOperation } from './block.js';
import { cibOperation } from './cib.js';
import { pacemakerWaitOperation } from './pacemaker-wait.js';
import { drbdAdjustOperation, drbdConnectedOperation, drbdMetadataOperation, drbdPrimaryOperation, drbdUpOperation } from './drbd.js';
import { filesystemOperation, mountOperation } from './filesystem.js';
import { heartbeatResourcesOperation, heartbeatRetiredOperation, pacemakerAbsentOperation } from './heartbeat.js';
import { partitionOperation } from './partition.js';
import { relocateOperation } from './relocate.js';
import { secretFileOperation } from './secret.js';
import { waitPortOperation } from './wait-port.js';
import { commandOperation } from './command.js';
import { directoryOperation } from './directory.js';
import { fileOperation } from './file.js';
import { packageOperation } from './package.js';
import { serviceOperation } from './service.js';
import { symlinkOperation } from './symlink.js';
import { sbdDeviceOperation } from './sbd.js';

export const operations: ReadonlyMap<string, Operation> = new Map(
  [
    fileOperation,
    blockOperation,
    directoryOperation,
    symlinkOperation,
    packageOperation,
    serviceOperation,
    commandOperation,
    partitionOperation,
    drbdMetadataOperation,
    drbdUpOperation,
    drbdAdjustOperation,
    drbdConnectedOperation,
    drbdPrimaryOperation,
    filesystemOperation,
    mountOperation,
    relocateOperation,
    secretFileOperation,
    waitPortOperation,
    cibOperation,
    pacemakerWaitOperation,
    heartbeatResourcesOperation,
    heartbeatRetiredOperation,
    pacemakerAbsentOperation,
    sbdDeviceOperation,
  ].map((op) => [op.name, op as Operation]),
);
