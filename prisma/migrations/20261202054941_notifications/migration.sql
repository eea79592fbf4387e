-- CreateTable
CREATE TABLE "Notification" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "tenantId" INTEGER NOT NULL,
    "recipient" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "data" TEXT NOT NULL,
    "actionUrl" TEXT,
    "createdMs" BIGINT NOT NULL,
    "readMs" BIGINT,
    "archivedMs" BIGINT,
    "expiresMs" BIGINT
);

-- CreateTable
CREATE TABLE "NotificationFeed" (
    "tenantId" INTEGER NOT NULL,
    "recipient" TEXT NOT NULL,
    "unread" INTEGER NOT NULL DEFAULT 0,
    "version" INTEGER NOT NULL DEFAULT 0,
    "lastEvent" INTEGER NOT NULL DEFAULT 0,

    PRIMARY KEY ("tenantId", "recipient")
);

-- CreateTable
CREATE TABLE "NotificationEvent" (
    "tenantId" INTEGER NOT NULL,
    "recipient" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "createdMs" BIGINT NOT NULL,

    PRIMARY KEY ("tenantId", "recipient", "seq")
);

-- CreateTable
CREATE TABLE "NotificationSend" (
    "tenantId" INTEGER NOT NULL,
    "callerId" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "bodyHash" TEXT NOT NULL,
    "response" TEXT NOT NULL,
    "createdMs" BIGINT NOT NULL,

    PRIMARY KEY ("tenantId", "callerId", "key")
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
    "passwordResetSettings" TEXT NOT NULL DEFAULT '{}',
    "verificationSettings" TEXT NOT NULL DEFAULT '{}',
    "deliverySettings" TEXT NOT NULL DEFAULT '{}',
    "notificationSettings" TEXT NOT NULL DEFAULT '{}',
    "securityKey" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);
INSERT INTO "new_Tenant" ("allowApiPasswordReset", "apiMaxPageLength", "createdAt", "defaultTimeZone", "deliverySettings", "id", "isRoot", "listCacheTtlSeconds", "multiValueShape", "name", "passwordResetSettings", "registrationEnvelope", "securityKey", "slug", "updatedAt", "verificationSettings") SELECT "allowApiPasswordReset", "apiMaxPageLength", "createdAt", "defaultTimeZone", "deliverySettings", "id", "isRoot", "listCacheTtlSeconds", "multiValueShape", "name", "passwordResetSettings", "registrationEnvelope", "securityKey", "slug", "updatedAt", "verificationSettings" FROM "Tenant";
DROP TABLE "Tenant";
ALTER TABLE "new_Tenant" RENAME TO "Tenant";
CREATE UNIQUE INDEX "Tenant_slug_key" ON "Tenant"("slug");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "Notification_tenantId_recipient_createdMs_id_idx" ON "Notification"("tenantId", "recipient", "createdMs" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "Notification_tenantId_recipient_readMs_createdMs_id_idx" ON "Notification"("tenantId", "recipient", "readMs", "createdMs" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "Notification_tenantId_recipient_expiresMs_readMs_idx" ON "Notification"("tenantId", "recipient", "expiresMs", "readMs");

-- CreateIndex
CREATE INDEX "Notification_expiresMs_idx" ON "Notification"("expiresMs");

-- CreateIndex
CREATE INDEX "NotificationEvent_createdMs_idx" ON "NotificationEvent"("createdMs");

-- CreateIndex
CREATE INDEX "NotificationSend_createdMs_idx" ON "NotificationSend"("createdMs");
