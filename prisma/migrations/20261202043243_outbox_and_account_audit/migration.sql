-- CreateTable
CREATE TABLE "OutboxMessage" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "tenantId" INTEGER NOT NULL,
    "userId" INTEGER,
    "channel" TEXT NOT NULL,
    "destination" TEXT NOT NULL,
    "subject" TEXT,
    "text" TEXT,
    "html" TEXT,
    "purpose" TEXT NOT NULL,
    "reference" TEXT,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" DATETIME,
    "lastError" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" DATETIME,
    CONSTRAINT "OutboxMessage_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "AccountAuditEntry" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "tenantId" INTEGER NOT NULL,
    "userId" INTEGER,
    "event" TEXT NOT NULL,
    "method" TEXT,
    "ip" TEXT,
    "detail" TEXT NOT NULL DEFAULT '{}',
    "at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "AccountAuditEntry_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Tenant" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "isRoot" BOOLEAN NOT NULL DEFAULT false,
    "apiMaxPageLength" INTEGER NOT NULL DEFAULT 100,
    "defaultTimeZone" TEXT NOT NULL DEFAULT 'UTC',
    "listCacheTtlSeconds" INTEGER NOT NULL DEFAULT 300,
    "multiValueShape" TEXT NOT NULL DEFAULT 'array',
    "allowApiPasswordReset" BOOLEAN NOT NULL DEFAULT false,
    "registrationEnvelope" TEXT NOT NULL DEFAULT '{"allowedDomains":[],"allowedRoles":[],"allowedGroups":[]}',
    "deliverySettings" TEXT NOT NULL DEFAULT '{}',
    "securityKey" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);
INSERT INTO "new_Tenant" ("allowApiPasswordReset", "apiMaxPageLength", "createdAt", "defaultTimeZone", "id", "isRoot", "listCacheTtlSeconds", "multiValueShape", "name", "registrationEnvelope", "securityKey", "slug", "updatedAt") SELECT "allowApiPasswordReset", "apiMaxPageLength", "createdAt", "defaultTimeZone", "id", "isRoot", "listCacheTtlSeconds", "multiValueShape", "name", "registrationEnvelope", "securityKey", "slug", "updatedAt" FROM "Tenant";
DROP TABLE "Tenant";
ALTER TABLE "new_Tenant" RENAME TO "Tenant";
CREATE UNIQUE INDEX "Tenant_slug_key" ON "Tenant"("slug");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "OutboxMessage_status_nextAttemptAt_idx" ON "OutboxMessage"("status", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "OutboxMessage_tenantId_channel_createdAt_idx" ON "OutboxMessage"("tenantId", "channel", "createdAt");

-- CreateIndex
CREATE INDEX "OutboxMessage_tenantId_channel_destination_createdAt_idx" ON "OutboxMessage"("tenantId", "channel", "destination", "createdAt");

-- CreateIndex
CREATE INDEX "AccountAuditEntry_tenantId_at_idx" ON "AccountAuditEntry"("tenantId", "at");

-- CreateIndex
CREATE INDEX "AccountAuditEntry_tenantId_userId_at_idx" ON "AccountAuditEntry"("tenantId", "userId", "at");
