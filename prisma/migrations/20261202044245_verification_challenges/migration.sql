-- CreateTable
CREATE TABLE "VerificationChallenge" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "publicId" TEXT NOT NULL,
    "tenantId" INTEGER NOT NULL,
    "userId" INTEGER NOT NULL,
    "email" TEXT NOT NULL,
    "phone" TEXT,
    "methods" TEXT NOT NULL,
    "redirectUrl" TEXT,
    "state" TEXT NOT NULL DEFAULT 'open',
    "failures" INTEGER NOT NULL DEFAULT 0,
    "retries" INTEGER NOT NULL DEFAULT 0,
    "lastSentAt" DATETIME NOT NULL,
    "nextSendAt" DATETIME NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completedAt" DATETIME,
    CONSTRAINT "VerificationChallenge_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "VerificationSecret" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "challengeId" INTEGER NOT NULL,
    "method" TEXT NOT NULL,
    "secretHash" TEXT NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "doneAt" DATETIME,
    "revokedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "VerificationSecret_challengeId_fkey" FOREIGN KEY ("challengeId") REFERENCES "VerificationChallenge" ("id") ON DELETE CASCADE ON UPDATE CASCADE
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
    "verificationSettings" TEXT NOT NULL DEFAULT '{}',
    "deliverySettings" TEXT NOT NULL DEFAULT '{}',
    "securityKey" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);
INSERT INTO "new_Tenant" ("allowApiPasswordReset", "apiMaxPageLength", "createdAt", "defaultTimeZone", "deliverySettings", "id", "isRoot", "listCacheTtlSeconds", "multiValueShape", "name", "registrationEnvelope", "securityKey", "slug", "updatedAt") SELECT "allowApiPasswordReset", "apiMaxPageLength", "createdAt", "defaultTimeZone", "deliverySettings", "id", "isRoot", "listCacheTtlSeconds", "multiValueShape", "name", "registrationEnvelope", "securityKey", "slug", "updatedAt" FROM "Tenant";
DROP TABLE "Tenant";
ALTER TABLE "new_Tenant" RENAME TO "Tenant";
CREATE UNIQUE INDEX "Tenant_slug_key" ON "Tenant"("slug");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "VerificationChallenge_publicId_key" ON "VerificationChallenge"("publicId");

-- CreateIndex
CREATE INDEX "VerificationChallenge_tenantId_userId_idx" ON "VerificationChallenge"("tenantId", "userId");

-- CreateIndex
CREATE INDEX "VerificationSecret_challengeId_method_idx" ON "VerificationSecret"("challengeId", "method");
