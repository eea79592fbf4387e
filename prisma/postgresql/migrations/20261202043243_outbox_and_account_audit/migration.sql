-- AlterTable
ALTER TABLE "Tenant" ADD COLUMN     "deliverySettings" TEXT NOT NULL DEFAULT '{}';

-- CreateTable
CREATE TABLE "OutboxMessage" (
    "id" SERIAL NOT NULL,
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
    "nextAttemptAt" TIMESTAMP(3),
    "lastError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMP(3),

    CONSTRAINT "OutboxMessage_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AccountAuditEntry" (
    "id" SERIAL NOT NULL,
    "tenantId" INTEGER NOT NULL,
    "userId" INTEGER,
    "event" TEXT NOT NULL,
    "method" TEXT,
    "ip" TEXT,
    "detail" TEXT NOT NULL DEFAULT '{}',
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AccountAuditEntry_pkey" PRIMARY KEY ("id")
);

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

-- AddForeignKey
ALTER TABLE "OutboxMessage" ADD CONSTRAINT "OutboxMessage_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AccountAuditEntry" ADD CONSTRAINT "AccountAuditEntry_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;
